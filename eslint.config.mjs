// ESLint flat config: typescript-eslint's recommended rules for TypeScript, eslint's for JavaScript
// (also the <script> blocks of the node editors' .html, through eslint-plugin-html), and
// eslint-config-prettier last so formatting is Prettier's job alone.
import js from '@eslint/js';
import html from 'eslint-plugin-html';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  // Help files under locales/ hold no script to lint (their <script type="text/html"> is text).
  { ignores: ['dist/', 'node_modules/', '.node-red/', 'coverage/', 'nodes/*/locales/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // `const node = this` is the Node-RED idiom for handlers registered inside the constructor.
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { globals: { ...globals.mocha } },
  },
  {
    // Node editors: browser scripts run by Node-RED's editor, one scope per page, no modules.
    files: ['nodes/**/*.html'],
    plugins: { html },
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: 'script',
      globals: { ...globals.browser, RED: 'readonly', $: 'readonly', jQuery: 'readonly' },
    },
  },
  {
    // The core must stay usable without Node-RED.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node-red', 'node-red/*', '@node-red/*', '../nodes/*', '../../nodes/*'] },
      ],
    },
  },
  prettier,
);
