import { Fragment, type ReactNode } from 'react';

/**
 * The small part of Markdown global messages use — **bold**, *italic*, `code` and
 * [links](https://…) — rendered as React elements, never as HTML, so a message cannot inject
 * markup. Anything else shows as the text it is. Links go only to http(s) addresses.
 */

const INLINE = /\*\*([^*]+)\*\*|\*([^*]+)\*|`([^`]+)`|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g;

function renderInline(text: string): ReactNode[] {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    const at = match.index ?? 0;
    if (at > last) parts.push(text.slice(last, at));
    const [, bold, italic, code, label, href] = match;
    if (bold !== undefined) parts.push(<strong key={at}>{bold}</strong>);
    else if (italic !== undefined) parts.push(<em key={at}>{italic}</em>);
    else if (code !== undefined) parts.push(<code key={at}>{code}</code>);
    else
      parts.push(
        <a key={at} href={href} target="_blank" rel="noopener noreferrer">
          {label}
        </a>,
      );
    last = at + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

export function MarkdownText({ text }: { text: string }) {
  const lines = text.split('\n');
  return (
    <>
      {lines.map((line, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the lines of one message never reorder
        <Fragment key={index}>
          {index > 0 && <br />}
          {renderInline(line)}
        </Fragment>
      ))}
    </>
  );
}
