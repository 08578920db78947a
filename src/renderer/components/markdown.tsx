import { memo } from "react";
import Markdown, { type Components } from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import remarkGfm from "remark-gfm";
import { stabilizeStreamingMarkdown } from "../lib/streaming-markdown.js";

const REMARK_PLUGINS = [remarkGfm];
// Only fenced blocks that name their language are highlighted: guessing is slow and often wrong.
const REHYPE_PLUGINS: NonNullable<Parameters<typeof Markdown>[0]["rehypePlugins"]> = [
  [rehypeHighlight, { detect: false }],
];

// A model's text may link anywhere: links open outside the app, and images are never fetched
// (the page's CSP forbids it anyway); they show as links.
const COMPONENTS: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noreferrer noopener">
      {children}
    </a>
  ),
  img: ({ src, alt }) => (
    <a href={typeof src === "string" ? src : undefined} target="_blank" rel="noreferrer noopener">
      {alt || (typeof src === "string" ? src : "image")}
    </a>
  ),
};

/**
 * Renders a model's markdown (GitHub flavour, highlighted code). While `streaming`, the text is
 * first made stable (open fences and spans closed), so each frame shows what the answer will look
 * like rather than flipping between raw marks and formatting.
 */
export const MarkdownText = memo(function MarkdownText({
  text,
  streaming = false,
}: {
  readonly text: string;
  readonly streaming?: boolean;
}) {
  return (
    <div className="markdown">
      <Markdown remarkPlugins={REMARK_PLUGINS} rehypePlugins={REHYPE_PLUGINS} components={COMPONENTS}>
        {streaming ? stabilizeStreamingMarkdown(text) : text}
      </Markdown>
    </div>
  );
});
