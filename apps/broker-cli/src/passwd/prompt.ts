/** Getting a password from a person (terminal, echo off) or a program (first line of stdin). */

interface MaybeTty {
  isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
}

/** The user pressed Ctrl-C or Ctrl-D at the prompt. */
export class PromptCancelled extends Error {
  override readonly name = 'PromptCancelled';
  constructor() {
    super('cancelled');
  }
}

export function isTerminal(stream: NodeJS.ReadableStream): boolean {
  const s = stream as NodeJS.ReadableStream & MaybeTty;
  return s.isTTY === true && typeof s.setRawMode === 'function';
}

/**
 * Prompts on `out` and reads one line from the terminal `input` with echo off: in raw mode the
 * terminal shows nothing, and this loop handles Enter, Backspace, Ctrl-C and Ctrl-D itself.
 */
export function readHidden(input: NodeJS.ReadableStream, out: NodeJS.WritableStream, prompt: string): Promise<string> {
  const tty = input as NodeJS.ReadableStream & MaybeTty;
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const finish = (err?: Error): void => {
      input.off('data', onData);
      tty.setRawMode?.(false);
      input.pause();
      out.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) return finish(new PromptCancelled());
        if (ch === '\u0004') return finish();
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    out.write(prompt);
    tty.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
  });
}

/** The first line of `input` (without its line break); what there is if it ends first. */
export async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  // Bytes, decoded once at the end: a UTF-8 character may be split across chunks.
  const chunks: Buffer[] = [];
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    chunks.push(bytes);
    // Leaving the loop early stops reading: the rest of stdin is not ours.
    if (bytes.includes(0x0a)) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const nl = text.indexOf('\n');
  return (nl >= 0 ? text.slice(0, nl) : text).replace(/\r$/, '');
}
