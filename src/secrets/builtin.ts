/**
 * Built-in secret rules, written for Portwarden. Rule ids follow trivy's built-in ids where the
 * secret type is the same, so findings line up with what users already know; categories are
 * trivy's category names.
 *
 * Each regex is anchored on a vendor-specific prefix or shape and bounded (`{n,m}`) so matching
 * stays linear; the keyword list must contain a lower-cased literal every match includes (the
 * prefilter skips the regex on content without one).
 */
import type { Severity } from '../model/report.ts';
import { allowList, type AllowList, type SecretRule } from './types.ts';

interface RuleSpec {
  id: string;
  category: string;
  severity: Severity;
  title: string;
  keywords: string[];
  regex: RegExp;
  /** Capture group holding the secret; 0 = whole match. */
  group?: number;
  entropy?: number;
  path?: RegExp;
  allowSecret?: RegExp[];
  requireDigit?: boolean;
  yieldsToSpecific?: boolean;
}

/** Values that are obviously not secrets: variables, templates, placeholders, masks. */
const PLACEHOLDER =
  /^(?:\$\{?[A-Za-z_][\w.]*\}?|\$\(.*\)|\{\{.*\}\}|<[^>]*>|%\(?[A-Za-z_]+\)?s?|\*+|x+|X+|\.+|(?:change|replace)[_-]?me|password|passwd|secret|your[_-].*|none|null|true|false|example|dummy|test|\?+)$/i;

/**
 * Source-code identifiers and member paths (`this.password`, `AuthenticationMD5Password`,
 * `test_buffers_1.default.cleartextPassword`): words of 3+ lower-case letters, short capitals
 * and small numbers. Random secrets have short letter runs and do not fit.
 */
const IDENTIFIER = /^(?:[A-Z]?[a-z]{3,}|[A-Z]{2,5}|\d{1,3}|[._$#])+$/;

const SPECS: RuleSpec[] = [
  // AWS
  {
    id: 'aws-access-key-id',
    category: 'AWS',
    severity: 'CRITICAL',
    title: 'AWS Access Key ID',
    keywords: ['akia', 'agpa', 'aida', 'aroa', 'aipa', 'anpa', 'anva', 'asia', 'a3t', 'abia', 'acca'],
    regex: /(?:^|[^0-9A-Za-z/+])((?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![0-9A-Za-z/+])/g,
    group: 1,
    // AWS's documentation key (AKIAIOSFODNN7EXAMPLE) and its variants.
    allowSecret: [/EXAMPLE$/],
  },
  {
    id: 'aws-secret-access-key',
    category: 'AWS',
    severity: 'CRITICAL',
    title: 'AWS Secret Access Key',
    keywords: ['aws'],
    regex: /aws[\w.-]{0,20}?(?:secret|sec|private)[\w.-]{0,20}?key[\w.-]{0,10}?['"]?\s{0,5}(?:=>|:=|=|:)?\s{0,5}['"]?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
  },
  // GitHub
  { id: 'github-pat', category: 'GitHub', severity: 'CRITICAL', title: 'GitHub Personal Access Token', keywords: ['ghp_'], regex: /(?<![A-Za-z0-9])ghp_[0-9A-Za-z]{36}/g },
  { id: 'github-oauth', category: 'GitHub', severity: 'CRITICAL', title: 'GitHub OAuth Access Token', keywords: ['gho_'], regex: /(?<![A-Za-z0-9])gho_[0-9A-Za-z]{36}/g },
  {
    id: 'github-app-token',
    category: 'GitHub',
    severity: 'CRITICAL',
    title: 'GitHub App Token',
    keywords: ['ghu_', 'ghs_'],
    // Classic 36-char tokens, and the stateless `ghs_<installation>_<jwt>` format.
    regex: /(?<![A-Za-z0-9])(?:ghu|ghs)_(?:[0-9]{1,20}_[A-Za-z0-9_-]{10,1024}\.[A-Za-z0-9_-]{10,2048}\.[A-Za-z0-9_-]{10,1024}|[0-9A-Za-z]{36})/g,
  },
  { id: 'github-refresh-token', category: 'GitHub', severity: 'CRITICAL', title: 'GitHub Refresh Token', keywords: ['ghr_'], regex: /(?<![A-Za-z0-9])ghr_[0-9A-Za-z]{36,76}/g },
  { id: 'github-fine-grained-pat', category: 'GitHub', severity: 'CRITICAL', title: 'GitHub Fine-grained personal access tokens', keywords: ['github_pat_'], regex: /github_pat_[0-9A-Za-z_]{82}/g },
  // GitLab
  { id: 'gitlab-pat', category: 'GitLab', severity: 'CRITICAL', title: 'GitLab Personal Access Token', keywords: ['glpat-'], regex: /glpat-[0-9A-Za-z_-]{20,300}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,9})?/g },
  { id: 'gitlab-ptt', category: 'GitLab', severity: 'CRITICAL', title: 'GitLab Pipeline Trigger Token', keywords: ['glptt-'], regex: /glptt-[0-9a-f]{40}/g },
  { id: 'gitlab-rrt', category: 'GitLab', severity: 'CRITICAL', title: 'GitLab Runner Registration Token', keywords: ['gr1348941'], regex: /GR1348941[0-9A-Za-z_-]{20}/g },
  { id: 'gitlab-runner-token', category: 'GitLab', severity: 'CRITICAL', title: 'GitLab Runner Authentication Token', keywords: ['glrt-'], regex: /glrt-[0-9A-Za-z_-]{20,300}/g },
  { id: 'gitlab-deploy-token', category: 'GitLab', severity: 'HIGH', title: 'GitLab Deploy Token', keywords: ['gldt-'], regex: /gldt-[0-9A-Za-z_-]{20,300}/g },
  // Slack
  {
    id: 'slack-access-token',
    category: 'Slack',
    severity: 'HIGH',
    title: 'Slack token',
    keywords: ['xoxb-', 'xoxa-', 'xoxp-', 'xoxr-', 'xoxs-', 'xoxe-', 'xoxo-'],
    regex: /xox[abeoprs]-(?:[0-9]{1,13}-){1,3}[0-9A-Za-z-]{10,200}/g,
  },
  { id: 'slack-app-token', category: 'Slack', severity: 'HIGH', title: 'Slack App-level token', keywords: ['xapp-'], regex: /xapp-\d-[A-Z0-9]{6,20}-\d{6,20}-[a-f0-9]{32,80}/gi },
  {
    id: 'slack-web-hook',
    category: 'Slack',
    severity: 'MEDIUM',
    title: 'Slack Webhook',
    keywords: ['hooks.slack.com'],
    regex: /hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9+/]{43,56})/g,
    group: 1,
  },
  // Stripe, Twilio, SendGrid
  {
    id: 'stripe-secret-token',
    category: 'Stripe',
    severity: 'CRITICAL',
    title: 'Stripe Secret Key',
    keywords: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_', 'sk_prod_', 'rk_prod_'],
    regex: /\b((?:sk|rk)_(?:test|live|prod)_[0-9A-Za-z]{10,99})\b/g,
    group: 1,
  },
  { id: 'stripe-publishable-token', category: 'Stripe', severity: 'LOW', title: 'Stripe Publishable Key', keywords: ['pk_live_', 'pk_test_'], regex: /\b(pk_(?:test|live)_[0-9A-Za-z]{10,99})\b/g, group: 1 },
  { id: 'twilio-api-key', category: 'Twilio', severity: 'MEDIUM', title: 'Twilio API Key', keywords: ['sk'], regex: /\b(SK[0-9a-fA-F]{32})\b/g, group: 1, requireDigit: true },
  { id: 'sendgrid-api-token', category: 'SendGrid', severity: 'MEDIUM', title: 'SendGrid API token', keywords: ['sg.'], regex: /\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/g, group: 1 },
  // Package registries
  { id: 'npm-access-token', category: 'npm', severity: 'CRITICAL', title: 'npm access token', keywords: ['npm_'], regex: /\b(npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])/g, group: 1 },
  {
    id: 'npmrc-auth-token',
    category: 'npm',
    severity: 'HIGH',
    title: 'npm registry credential in .npmrc',
    keywords: ['_authtoken', '_auth', '_password'],
    regex: /(?:_authToken|_auth|_password)\s*=\s*["']?([A-Za-z0-9+/=_.:-]{16,512})/g,
    group: 1,
    path: /(?:^|\/)\.?(?:npmrc|yarnrc(?:\.yml)?)$/,
    allowSecret: [/^\$\{?[A-Za-z_]/],
  },
  { id: 'pypi-upload-token', category: 'PyPI', severity: 'HIGH', title: 'PyPI upload token', keywords: ['pypi-ageichlwas5vcmc'], regex: /pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}/g },
  { id: 'private-packagist-token', category: 'PrivatePackagist', severity: 'HIGH', title: 'Private Packagist token', keywords: ['packagist_'], regex: /packagist_(?:ort|out|uut)_[a-fA-F0-9]{68}/g },
  // Docker
  {
    id: 'dockerconfig-secret',
    category: 'Docker',
    severity: 'HIGH',
    title: 'Dockerconfig secret exposed',
    keywords: ['.dockerconfigjson', '.dockercfg'],
    regex: /\.(?:dockerconfigjson|dockercfg)["']?\s*:\s*["']?([A-Za-z0-9+/=]{8,})/gi,
    group: 1,
  },
  {
    id: 'docker-config-auth',
    category: 'Docker',
    severity: 'HIGH',
    title: 'Registry credentials in a Docker/Podman auth file',
    keywords: ['"auth"'],
    regex: /"auth"\s*:\s*"([A-Za-z0-9+/]{6,}={0,2})"/g,
    group: 1,
    path: /(?:^|\/)(?:config\.json|\.dockercfg|auth\.json)$/,
  },
  // Tokens
  {
    id: 'jwt-token',
    category: 'JWT',
    severity: 'MEDIUM',
    title: 'JWT token',
    keywords: ['eyj'],
    regex: /\bey[A-Za-z0-9]{17,}\.ey[A-Za-z0-9/\\_-]{17,}\.(?:[A-Za-z0-9/\\_-]{10,}={0,2})?/g,
  },
  { id: 'grafana-api-token', category: 'Grafana', severity: 'MEDIUM', title: 'Grafana API token', keywords: ['eyjrijoi'], regex: /(["']?)(eyJrIjoi[A-Za-z0-9]{70,400}={0,2})\1/g, group: 2 },
  { id: 'grafana-cloud-api-token', category: 'Grafana', severity: 'MEDIUM', title: 'Grafana Cloud API token', keywords: ['glc_'], regex: /\b(glc_[A-Za-z0-9+/]{32,400}={0,2})/g, group: 1 },
  { id: 'grafana-service-account-token', category: 'Grafana', severity: 'MEDIUM', title: 'Grafana service account token', keywords: ['glsa_'], regex: /glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}/g },
  { id: 'hugging-face-access-token', category: 'HuggingFace', severity: 'CRITICAL', title: 'Hugging Face Access Token', keywords: ['hf_'], regex: /(?:^|[^A-Za-z0-9_])(hf_[A-Za-z0-9]{34,40})(?![A-Za-z0-9])/g, group: 1 },
  // OpenAI
  { id: 'openai-project-api-key', category: 'OpenAI', severity: 'CRITICAL', title: 'OpenAI Project API Key', keywords: ['sk-proj-'], regex: /sk-proj-[A-Za-z0-9_-]{20,156}T3BlbkFJ[A-Za-z0-9_-]{20,156}/g },
  { id: 'openai-service-account-key', category: 'OpenAI', severity: 'CRITICAL', title: 'OpenAI Service Account Key', keywords: ['sk-svcacct-'], regex: /sk-svcacct-[A-Za-z0-9_-]{20,156}T3BlbkFJ[A-Za-z0-9_-]{20,156}/g },
  { id: 'openai-admin-api-key', category: 'OpenAI', severity: 'CRITICAL', title: 'OpenAI Admin API Key', keywords: ['sk-admin-'], regex: /sk-admin-[A-Za-z0-9_-]{20,156}T3BlbkFJ[A-Za-z0-9_-]{20,156}/g },
  { id: 'openai-legacy-api-key', category: 'OpenAI', severity: 'HIGH', title: 'OpenAI Legacy User API Key', keywords: ['t3blbkfj'], regex: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}(?![A-Za-z0-9_-])/g },
  { id: 'openai-service-api-key', category: 'OpenAI', severity: 'HIGH', title: 'OpenAI Service API Key', keywords: ['sk-service-'], regex: /sk-service-[A-Za-z0-9-]{1,64}-[A-Za-z0-9_-]{20,156}T3BlbkFJ[A-Za-z0-9_-]{20,156}/g },
  { id: 'openai-realtime-client-secret', category: 'OpenAI', severity: 'MEDIUM', title: 'OpenAI Realtime Client Secret', keywords: ['ek_'], regex: /(?<![A-Za-z0-9_])ek_[a-f0-9]{32}(?![A-Za-z0-9_])/g },
  // Cloud providers
  {
    id: 'gcp-service-account',
    category: 'Google',
    severity: 'CRITICAL',
    title: 'Google (GCP) Service-account key',
    keywords: ['service_account'],
    regex: /"type"\s*:\s*"service_account"[\s\S]{0,500}?"private_key_id"\s*:\s*"([0-9a-f]{40})"/g,
    group: 1,
  },
  { id: 'gcp-api-key', category: 'Google', severity: 'HIGH', title: 'Google API key', keywords: ['aiza'], regex: /\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g, group: 1 },
  {
    id: 'azure-storage-account-key',
    category: 'Azure',
    severity: 'CRITICAL',
    title: 'Azure Storage Account Key',
    keywords: ['accountkey', 'storage'],
    regex: /(?:AccountKey|azure[_.-]?storage[_.-]?(?:account[_.-]?)?(?:access[_.-]?)?key)["']?\s{0,5}[=:]\s{0,5}["']?([A-Za-z0-9+/]{86}==)/gi,
    group: 1,
  },
  {
    id: 'azure-sas-token',
    category: 'Azure',
    severity: 'HIGH',
    title: 'Azure Shared Access Signature Token',
    keywords: ['sig='],
    regex: /\bsv=\d{4}-\d{2}-\d{2}&[^\s"'<>]{0,400}?\bsig=([A-Za-z0-9%+/]{40,100}(?:={0,2}|(?:%3D){0,2}))/gi,
    group: 1,
  },
  {
    id: 'azure-devops-pat',
    category: 'Azure',
    severity: 'HIGH',
    title: 'Azure DevOps Personal Access Token',
    keywords: ['devops', 'vsts', 'ado_'],
    regex: /(?:azure[_.-]?devops|vsts|ado)[\w.-]{0,20}?(?:token|pat)\w{0,10}["']?\s{0,5}[=:]\s{0,5}["']?([a-z2-7]{52})(?![A-Za-z0-9])/gi,
    group: 1,
  },
  {
    id: 'azure-entra-client-secret',
    category: 'Azure',
    severity: 'CRITICAL',
    title: 'Azure Entra ID Client Secret',
    keywords: ['q~'],
    regex: /(?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])/g,
    group: 1,
  },
  {
    id: 'azure-container-registry-credential',
    category: 'Azure',
    severity: 'CRITICAL',
    title: 'Azure Container Registry Credential',
    keywords: ['jqqj99'],
    regex: /(?<![A-Za-z0-9])[A-Za-z0-9]{52}JQQJ99[A-Za-z0-9]{18}AZCR[A-Za-z0-9]{4}(?![A-Za-z0-9])/g,
  },
  {
    id: 'azure-ai-services-key',
    category: 'Azure',
    severity: 'HIGH',
    title: 'Azure AI Services Key',
    keywords: ['jqqj99'],
    regex: /(?<![A-Za-z0-9])[A-Za-z0-9]{52}JQQJ99[A-Za-z0-9]{18}ACOG[A-Za-z0-9]{4}(?![A-Za-z0-9])/g,
  },
  {
    id: 'azure-container-registry-password',
    category: 'Azure',
    severity: 'CRITICAL',
    title: 'Azure Container Registry Password',
    keywords: ['azurecr.io'],
    regex: /[a-z0-9-]{1,50}\.azurecr\.io[^\n]{0,60}?(?:password|passwd|pwd|secret)["']?\s{0,5}[:=]\s{0,5}["']?([A-Za-z0-9+/=]{32,52})(?![A-Za-z0-9+/=])/gi,
    group: 1,
  },
  {
    id: 'azure-app-config-connection-string',
    category: 'Azure',
    severity: 'CRITICAL',
    title: 'Azure App Configuration Connection String',
    keywords: ['azconfig.io'],
    regex: /Endpoint=https:\/\/[A-Za-z0-9-]{1,63}\.azconfig\.io;Id=[^;\s]{1,64};Secret=([A-Za-z0-9+/=]{36,88})/g,
    group: 1,
  },
  {
    id: 'alibaba-access-key-id',
    category: 'Alibaba',
    severity: 'HIGH',
    title: 'Alibaba AccessKey ID',
    keywords: ['ltai'],
    regex: /(?:^|[^0-9A-Za-z])(LTAI[A-Za-z0-9]{20})(?![0-9A-Za-z])/g,
    group: 1,
  },
  // Private keys
  {
    id: 'private-key',
    category: 'AsymmetricPrivateKey',
    severity: 'HIGH',
    title: 'Asymmetric Private Key',
    keywords: ['private key'],
    regex: /-----\s?BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY\s?-----[\s\\]{0,32}([A-Za-z0-9+/=][A-Za-z0-9+/=\s\\]{30,65536}?)-----\s?END[ A-Z0-9_-]{0,100}PRIVATE KEY/g,
    group: 1,
  },
  {
    id: 'pgp-private-key',
    category: 'AsymmetricPrivateKey',
    severity: 'HIGH',
    title: 'PGP Private Key Block',
    keywords: ['pgp private key block'],
    regex: /-----BEGIN PGP PRIVATE KEY BLOCK-----([\s\S]{32,262144}?)-----END PGP PRIVATE KEY BLOCK-----/g,
    group: 1,
  },
  // Frameworks and tools
  {
    id: 'symfony-default-secret',
    category: 'Symfony',
    severity: 'HIGH',
    title: 'Symfony default secret',
    keywords: ['thistokenisnotsosecretchangeit', 'thisezplatformtokenisnotsosecret_pleasechangeit'],
    regex: /secret["']?\s{0,5}[:=]\s{0,5}["']?(ThisTokenIsNotSoSecretChangeIt|ThisEzPlatformTokenIsNotSoSecret_PleaseChangeIt)/gi,
    group: 1,
  },
  {
    id: 'maven-settings-password',
    category: 'Maven',
    severity: 'HIGH',
    title: 'Maven settings.xml password',
    keywords: ['<password>'],
    regex: /<password>\s{0,64}([^\s<{$][^<]{0,256}?)\s{0,64}<\/password>/g,
    group: 1,
    path: /(?:^|\/)settings\.xml$/,
  },
  {
    id: 'maven-settings-passphrase',
    category: 'Maven',
    severity: 'HIGH',
    title: 'Maven settings.xml passphrase',
    keywords: ['<passphrase>'],
    regex: /<passphrase>\s{0,64}([^\s<{$][^<]{0,256}?)\s{0,64}<\/passphrase>/g,
    group: 1,
    path: /(?:^|\/)settings\.xml$/,
  },
  {
    id: 'maven-settings-security-master',
    category: 'Maven',
    severity: 'HIGH',
    title: 'Maven settings-security.xml master password',
    keywords: ['<master>'],
    regex: /<master>\s{0,64}([^\s<{$][^<]{0,256}?)\s{0,64}<\/master>/g,
    group: 1,
    path: /(?:^|\/)settings-security\.xml$/,
  },
  // Database URLs and generic assignments
  {
    id: 'database-url-password',
    category: 'Database',
    severity: 'HIGH',
    title: 'Database connection URL with a password',
    keywords: ['postgres', 'mysql', 'mariadb', 'mongodb', 'redis', 'amqp', 'mssql', 'sqlserver', 'jdbc:'],
    regex:
      /\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|jdbc:[a-z0-9]{2,20}):\/\/[^:@/\s'"`]{1,64}:([^@/\s'"`]{1,128})@[A-Za-z0-9.[\]-]{1,253}/gi,
    group: 1,
    allowSecret: [PLACEHOLDER, /^(?:pwd|root|admin|user(?:name)?)$/i, /pass(?:wor)?d|secret|example|dummy|sample|change_?me/i],
  },
  {
    id: 'generic-secret-assignment',
    category: 'General',
    severity: 'MEDIUM',
    title: 'Generic password/secret assignment',
    keywords: ['password', 'passwd', 'secret', 'api_key', 'apikey', 'api-key', 'access_key', 'accesskey', 'access-key', 'auth_token', 'authtoken', 'auth-token'],
    regex:
      /(?:^|[^A-Za-z0-9])[A-Za-z0-9_.-]{0,20}(?:password|passwd|secret|api[_-]?key|access[_-]?key|auth[_-]?token)[A-Za-z0-9_.-]{0,20}["']?\s{0,5}(?::=|=>|=|:)\s{0,5}(["']?)([^\s"'`;,<>(){}[\]]{8,128})\1/gi,
    group: 2,
    entropy: 3.5,
    requireDigit: true,
    yieldsToSpecific: true,
    allowSecret: [PLACEHOLDER, /example|dummy|sample|placeholder/i, /^[a-z]+(?:[._-][a-z]+)+$/i, IDENTIFIER],
  },
];

/** Paths skipped by default (ids as in trivy so configs can disable them the same way). */
export const BUILTIN_ALLOW_LISTS: readonly AllowList[] = [
  allowList({ id: 'tests', description: 'test files and directories', paths: [/(?:^|\/)(?:test|tests|testdata|__tests__|spec)\/|[._-]test\.[A-Za-z0-9]+$/] }),
  allowList({ id: 'examples', description: 'example files and directories', paths: [/example/i] }),
  allowList({ id: 'vendor', description: 'vendored dependencies', paths: [/(?:^|\/)vendor\//] }),
  allowList({ id: 'usr-dirs', description: 'distribution docs and headers', paths: [/^usr\/(?:share|include)\//] }),
  allowList({ id: 'locale-dir', description: 'locale files', paths: [/(?:^|\/)locale\//] }),
  allowList({ id: 'markdown', description: 'markdown files', paths: [/\.md$/] }),
  allowList({ id: 'node.js', description: 'installed npm packages', paths: [/(?:^|\/)node_modules\//] }),
  allowList({ id: 'golang', description: 'Go module cache', paths: [/(?:^|\/)go\/pkg\/mod\//] }),
  allowList({ id: 'python', description: 'installed Python packages', paths: [/(?:^|\/)(?:site|dist)-packages\//] }),
  allowList({ id: 'rubygems', description: 'installed gems', paths: [/(?:^|\/)gems\//] }),
];

export function builtinRules(): SecretRule[] {
  return SPECS.map((s) => ({
    id: s.id,
    category: s.category,
    severity: s.severity,
    title: s.title,
    keywords: s.keywords.map((k) => k.toLowerCase()),
    regex: new RegExp(s.regex.source, s.regex.flags.includes('g') ? s.regex.flags : `${s.regex.flags}g`),
    secretGroups: s.group ? [s.group] : [],
    firstGroupFallback: false,
    ...(s.entropy !== undefined ? { entropy: s.entropy } : {}),
    ...(s.path ? { path: s.path } : {}),
    allow: s.allowSecret ? [allowList({ regexes: s.allowSecret, regexTarget: 'secret' })] : [],
    excludeBlocks: [],
    ...(s.requireDigit ? { requireDigit: true } : {}),
    ...(s.yieldsToSpecific ? { yieldsToSpecific: true } : {}),
  }));
}
