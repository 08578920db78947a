/** An ordinal in English digits: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 101st, 111th. For whole numbers. */
export function ordinal(n: number): string {
  const lastTwo = Math.abs(n) % 100;
  // 11, 12 and 13 take "th" whatever their last digit says.
  if (lastTwo >= 11 && lastTwo <= 13) return `${n}th`;
  switch (lastTwo % 10) {
    case 1:
      return `${n}st`;
    case 2:
      return `${n}nd`;
    case 3:
      return `${n}rd`;
    default:
      return `${n}th`;
  }
}

/** A waiting request's place (1 = next), as the chat and the CLI say it: "Next in line", "2nd in line". */
export function placeInLine(position: number): string {
  return position === 1 ? "Next in line" : `${ordinal(position)} in line`;
}
