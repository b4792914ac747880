/**
 * Node-RED gives each node set a `RED._` that looks keys up in that set's message catalog
 * (locales/<lang>/<type>.json, in the runtime's language: settings `lang`, else LC_ALL /
 * LC_MESSAGES / LANG). Shared modules take it as a `Translate` so their strings come out in the
 * user's language too; their keys live in nodes/shared/locales (see scripts/locales.js).
 */
import type { NodeAPI } from 'node-red';

export type Translate = NodeAPI['_'];
