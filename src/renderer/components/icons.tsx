import type { ReactNode, SVGProps } from "react";

type IconProps = SVGProps<SVGSVGElement>;

/**
 * Makes an icon component from its shapes: every icon is a 24×24 stroked outline in the current
 * colour, hidden from assistive technology (the button or link around it carries the name).
 */
function icon(shapes: ReactNode, baseClassName?: string): (props: IconProps) => ReactNode {
  return function Icon({ className, ...props }: IconProps) {
    return (
      <svg
        viewBox="0 0 24 24"
        fill="none"
        stroke="currentColor"
        strokeWidth={1.8}
        strokeLinecap="round"
        strokeLinejoin="round"
        aria-hidden="true"
        focusable="false"
        className={baseClassName ? `${baseClassName} ${className ?? ""}` : className}
        {...props}
      >
        {shapes}
      </svg>
    );
  };
}

/** The rbee mark: a hexagon cell. */
export const LogoIcon = icon(
  <>
    <path d="M12 2.5 20.5 7.25v9.5L12 21.5 3.5 16.75v-9.5Z" />
    <path d="M8.5 10.5h7M8.5 13.5h7" />
  </>,
);

/** A machine (Nodes). */
export const ServerIcon = icon(
  <>
    <rect x="3" y="4" width="18" height="7" rx="1.5" />
    <rect x="3" y="13" width="18" height="7" rx="1.5" />
    <path d="M7 7.5h.01M7 16.5h.01" />
  </>,
);

/** A processor (Workers). */
export const CpuIcon = icon(
  <>
    <rect x="6" y="6" width="12" height="12" rx="1.5" />
    <rect x="9.5" y="9.5" width="5" height="5" rx=".5" />
    <path d="M9 2.5V6M15 2.5V6M9 18v3.5M15 18v3.5M2.5 9H6M2.5 15H6M18 9h3.5M18 15h3.5" />
  </>,
);

/** Add something. */
export const PlusIcon = icon(<path d="M12 5v14M5 12h14" />);

/** Remove or delete. */
export const TrashIcon = icon(
  <path d="M4 7h16M10 11v6M14 11v6M6 7l1 12.5A1.5 1.5 0 0 0 8.5 21h7a1.5 1.5 0 0 0 1.5-1.5L18 7M9 7V4.5A1.5 1.5 0 0 1 10.5 3h3A1.5 1.5 0 0 1 15 4.5V7" />,
);

/** Stop a worker or an answer. */
export const StopIcon = icon(<rect x="6" y="6" width="12" height="12" rx="1.5" />);

/** Close or dismiss. */
export const CloseIcon = icon(<path d="M6 6l12 12M18 6 6 18" />);

/** A host key. */
export const KeyIcon = icon(
  <>
    <circle cx="8" cy="15" r="4" />
    <path d="m11 12 9-9M17 6l3 3M15 8l2 2" />
  </>,
);

/** Something succeeded. */
export const CheckIcon = icon(<path d="m5 12.5 4.5 4.5L19 7.5" />);

/** Something failed. */
export const AlertIcon = icon(
  <>
    <path d="M12 3.5 2.5 20h19Z" />
    <path d="M12 10v4.5M12 17.5h.01" />
  </>,
);

/** Work in progress: it turns by itself. */
export const SpinnerIcon = icon(<path d="M21 12a9 9 0 1 1-6.2-8.56" />, "animate-spin");

/** A conversation (Chat). */
export const ChatIcon = icon(<path d="M20 12.5a7.5 7.5 0 0 1-11.2 6.5L4 20l1.1-4.4A7.5 7.5 0 1 1 20 12.5Z" />);

/** Send a message. */
export const SendIcon = icon(<path d="M12 19V5M6 11l6-6 6 6" />);

/** Install on a node. */
export const DownloadIcon = icon(<path d="M12 4v11M7 10.5l5 5 5-5M5 20h14" />);

/** Update what is installed. */
export const RefreshIcon = icon(<path d="M20 11a8 8 0 0 0-14.6-4.5M4 5v4h4M4 13a8 8 0 0 0 14.6 4.5M20 19v-4h-4" />);

/** Import from a file (~/.ssh/config). */
export const ImportIcon = icon(<path d="M4 14v4.5A1.5 1.5 0 0 0 5.5 20h13a1.5 1.5 0 0 0 1.5-1.5V14M12 4v11M8 11l4 4 4-4" />);

/** The assistant. */
export const SparkIcon = icon(
  <path d="M12 3v4M12 17v4M3 12h4M17 12h4M6.3 6.3l2.5 2.5M15.2 15.2l2.5 2.5M6.3 17.7l2.5-2.5M15.2 8.8l2.5-2.5" />,
);

/** The Models view: model files, stacked. */
export const ModelsIcon = icon(
  <>
    <path d="M12 3 3.5 7.5 12 12l8.5-4.5L12 3Z" />
    <path d="m3.5 12 8.5 4.5 8.5-4.5M3.5 16.5 12 21l8.5-4.5" />
  </>,
);

/** Copy a file to another place. */
export const CopyIcon = icon(
  <>
    <rect x="8.5" y="8.5" width="11.5" height="11.5" rx="1.8" />
    <path d="M15.5 8.5V5.8A1.8 1.8 0 0 0 13.7 4H5.8A1.8 1.8 0 0 0 4 5.8v7.9a1.8 1.8 0 0 0 1.8 1.8h2.7" />
  </>,
);

/** A log: lines of text. */
export const LogsIcon = icon(
  <>
    <rect x="4" y="3.5" width="16" height="17" rx="2" />
    <path d="M8 8h8M8 12h8M8 16h5" />
  </>,
);
