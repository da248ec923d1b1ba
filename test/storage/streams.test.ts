import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ByteCounter, ByteWindow, concatenateLazily } from '../../src/storage/streams.js';
import { readAll } from './support.js';

const pieces = (...texts: string[]): Readable => Readable.from(texts.map((text) => Buffer.from(text)));

describe('storage stream helpers', () => {
  it('ByteWindow keeps exactly the requested bytes across piece boundaries', async () => {
    const window = new ByteWindow(3, 5);
    const result = readAll(window);
    await pipeline(pieces('ab', 'cdef', 'ghij', 'klm'), window);
    expect((await result).toString()).toBe('defgh');
  });

  it('ByteWindow passes fewer bytes when the source ends early', async () => {
    const window = new ByteWindow(1, 100);
    const result = readAll(window);
    await pipeline(pieces('xyz'), window);
    expect((await result).toString()).toBe('yz');
  });

  it('ByteCounter counts what passes through unchanged', async () => {
    const counter = new ByteCounter();
    const result = readAll(counter);
    await pipeline(pieces('hello', ' ', 'world'), counter);
    expect((await result).toString()).toBe('hello world');
    expect(counter.bytes).toBe(11);
  });

  it('concatenateLazily opens each source only after the previous one ended', async () => {
    const opened: number[] = [];
    const stream = concatenateLazily(3, async (index) => {
      opened.push(index);
      return pieces(`<${index}>`);
    });
    expect(opened).toEqual([]);
    expect((await readAll(stream)).toString()).toBe('<0><1><2>');
    expect(opened).toEqual([0, 1, 2]);
  });

  it('concatenateLazily fails the stream when a source cannot be opened', async () => {
    const stream = concatenateLazily(2, async (index) => {
      if (index === 1) throw new Error('chunk 1 is gone');
      return pieces('first');
    });
    await expect(readAll(stream)).rejects.toThrow('chunk 1 is gone');
  });
});
