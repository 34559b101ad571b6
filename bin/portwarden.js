#!/usr/bin/env node
// Entry point for `npx portwarden`. Sources are TypeScript run through tsx's loader, so the
// installed CLI always runs the checked-out code (no stale build); see docs/decisions.md.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
