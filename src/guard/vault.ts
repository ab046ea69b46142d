/**
 * Per-request pseudonymisation: the same value always gets the same placeholder within one
 * vault, so an answer that refers to `[EMAIL_1]` can be restored to the original.
 */
export class PlaceholderVault {
  private readonly byValue = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  placeholderFor(kind: string, value: string): string {
    const key = `${kind}\u0000${value}`;
    const existing = this.byValue.get(key);
    if (existing !== undefined) return existing;
    const label = kind.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    const count = (this.counters.get(label) ?? 0) + 1;
    this.counters.set(label, count);
    const placeholder = `[${label}_${count}]`;
    this.byValue.set(key, placeholder);
    this.byPlaceholder.set(placeholder, value);
    return placeholder;
  }

  /** Restores every placeholder this vault issued; unknown bracketed text is left alone. */
  restore(text: string): string {
    return text.replace(
      /\[[A-Z0-9_]{1,40}_\d{1,6}\]/g,
      (placeholder) => this.byPlaceholder.get(placeholder) ?? placeholder,
    );
  }

  get size(): number {
    return this.byPlaceholder.size;
  }
}
