/** The shells `dlq completion` writes for. Import-free, so cli.ts can name them without loading the generators. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];
