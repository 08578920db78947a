import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { RbeeError } from "../shared/contract/errors.js";
import { selectApi } from "./api/select-api.js";
import { App } from "./app.js";
import "./styles.css";

const container = document.getElementById("root");
if (!container) throw new RbeeError("INTERNAL", "index.html has no #root element");

// Chosen before the first render, so that the token leaves the address bar at once.
const initial = selectApi();

/** Picks the transport again when a `#token=…` link is opened over the current page (no reload happens). */
function Root() {
  const [selection, setSelection] = useState(initial);
  useEffect(() => {
    const onHashChange = (): void => {
      if (/(^#|&)token=/.test(window.location.hash)) setSelection(selectApi());
    };
    window.addEventListener("hashchange", onHashChange);
    return () => window.removeEventListener("hashchange", onHashChange);
  }, []);
  return <App selection={selection} />;
}

createRoot(container).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
