import { expect, type Page } from "@playwright/test";

/** Opens the UI with its token link and waits until it is connected to the queen. */
export async function openUi(page: Page, queen: { readonly uiUrl: string }): Promise<void> {
  await page.goto(queen.uiUrl);
  await expect(page.getByTestId("connection-indicator")).toHaveAttribute("data-state", "connected");
}
