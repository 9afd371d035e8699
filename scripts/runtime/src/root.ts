import path from 'node:path';

/** The repository root: this file runs from scripts/runtime/src under ts-jest and from scripts/runtime/dist once built. */
export const ROOT = path.resolve(__dirname, '../../..');
