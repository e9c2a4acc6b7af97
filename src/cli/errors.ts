// CLI errors: a usage error exits 2 with a message naming the option; anything else exits 1.

export class UsageError extends Error {
  override name = 'UsageError';
}
