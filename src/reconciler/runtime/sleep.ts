/** A sleep that `wake()` ends early: loops that wait between attempts stop at once on shutdown. */
export class InterruptibleSleep {
  private pending: { handle: NodeJS.Timeout; wake: () => void } | undefined;

  /** Resolves after `ms`, or as soon as wake() is called. */
  public sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.pending = undefined;
        resolve();
      };
      this.pending = { handle: setTimeout(wake, ms), wake };
    });
  }

  /** Ends the current sleep now (nothing happens if none runs). */
  public wake(): void {
    if (!this.pending) return;
    clearTimeout(this.pending.handle);
    this.pending.wake();
  }
}
