/** Which windows of a text longer than `maxWindows` the injection encoder reads. */
export const WINDOW_CHOICES = ['ranked', 'ranked-prompt-like', 'first-and-last'] as const;
export type WindowChoice = (typeof WINDOW_CHOICES)[number];
