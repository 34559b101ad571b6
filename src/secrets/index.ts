export { SECRET_ANALYZER, createSecretAnalyzer, scanImageConfig, looksBinary, DEFAULT_SECRET_MAX_FILE_SIZE } from './analyzer.ts';
export {
  loadSecretConfig,
  defaultSecretRules,
  parseSecretConfigYaml,
  parseGitleaksConfig,
  SecretConfigError,
  type SecretScanOptions,
  type LoadedSecretRules,
} from './config.ts';
export { scanText, redactSecret, shannonEntropy } from './scan.ts';
export { translateRe2, compileRe2, Re2TranslationError } from './re2.ts';
export type { SecretRule, SecretRules, AllowList } from './types.ts';
