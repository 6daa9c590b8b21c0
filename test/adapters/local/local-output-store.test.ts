import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalOutputStore, OutputReadError } from '../../../lib/adapters/local/local-output-store.js';
import { makeTempDir } from '../../support/processes.js';

let dir: string;
const store = new LocalOutputStore();

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Class: LocalOutputStore', () => {
  describe('Method: read', () => {
    it('returns the whole file', async () => {
      const ref = join(dir, 'host-1.stdout');
      await writeFile(ref, 'line 1\nline 2\n{"ops": 42}\n');

      await expect(store.read(ref)).resolves.toBe('line 1\nline 2\n{"ops": 42}\n');
    });

    it('returns the whole lines within the last maxBytes bytes when given', async () => {
      const ref = join(dir, 'host-1.stdout');
      await writeFile(ref, 'noise line\nmore noise\n{"ops": 42}\n');

      await expect(store.read(ref, 16)).resolves.toBe('{"ops": 42}\n');
      await expect(store.read(ref, 100)).resolves.toBe('noise line\nmore noise\n{"ops": 42}\n');
      await expect(store.read(ref, 0)).resolves.toBe('');
    });

    it('reads a missing file as empty output', async () => {
      await expect(store.read(join(dir, 'never-written.stdout'))).resolves.toBe('');
      await expect(store.read(join(dir, 'never-written.stdout'), 10)).resolves.toBe('');
    });

    it('throws OutputReadError for a ref that cannot be read', async () => {
      const ref = join(dir, 'a-directory');
      await mkdir(ref);

      await expect(store.read(ref)).rejects.toBeInstanceOf(OutputReadError);
      await expect(store.read(ref, 1024)).rejects.toBeInstanceOf(OutputReadError);
    });

    it('reads the tail of an empty file as empty, and a tail that starts mid-character from the next line', async () => {
      const empty = join(dir, 'empty.stdout');
      const accents = join(dir, 'accents.stdout');
      await writeFile(empty, '');
      await writeFile(accents, 'a\u00e9\nlast\n');

      await expect(store.read(empty, 1024)).resolves.toBe('');
      await expect(store.read(accents, 7)).resolves.toBe('last\n');
    });
  });
});
