export interface TestRegistry {
  host: string;
  url: string;
  auth: 'none' | 'basic' | 'token';
  username?: string;
  password?: string;
  rootDir: string;
  stop(): Promise<void>;
  tokenRequests?: { scope: string[]; account?: string }[];
}
