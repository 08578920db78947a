/** Brings a form control on screen with its label and message (its field's block), and focuses it. */
export function revealField(controlId: string): void {
  const control = document.getElementById(controlId);
  if (!control) return;
  // The control's parent is its labelled field: label above, message under; show all three.
  (control.parentElement ?? control).scrollIntoView({ block: "nearest" });
  control.focus({ preventScroll: true });
}
