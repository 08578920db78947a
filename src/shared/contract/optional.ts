import { z } from "zod";

/**
 * A field a request may leave out, which also accepts JSON null (a client may send back
 * what an answer contained, and answers carry null for "none"). Null reads as absent: the parsed value is undefined.
 */
export function optionalField<T extends z.ZodType>(schema: T) {
  return schema
    .nullish()
    .transform((value) => value ?? undefined)
    .optional();
}

/** A field a request may leave out or send as null, which then takes `fallback`. */
export function fieldWithDefault<T extends z.ZodType>(schema: T, fallback: NonNullable<z.output<T>>) {
  return schema.nullish().transform((value) => value ?? fallback);
}
