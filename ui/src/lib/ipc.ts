// Turning command results into values or typed failures.
//
// Commands return `{ status: "ok", data } | { status: "error", error: { code, message } }`
// (generated in bindings.ts; `fields` lists a refused form's problems by field). Framework-level failures (an unknown command, a permission the
// capability does not grant) arrive in the same shape but with a plain string as `error`, or
// as a thrown Error. All of them become an `IpcFailure` here so screens branch on `code` alone.

import type { ErrorCode, FieldProblem, IpcError } from "./bindings";

/** Codes the shell never sends, used for failures outside our commands. */
export type LocalCode = "IPC_UNAVAILABLE";

/** A failed command, as screens see it. */
export class IpcFailure extends Error {
  readonly code: ErrorCode | LocalCode;
  /** For a refused form: each field's problem, as core found them (empty otherwise). */
  readonly fields: FieldProblem[];

  constructor(code: ErrorCode | LocalCode, message: string, fields: FieldProblem[] = []) {
    super(message);
    this.name = "IpcFailure";
    this.code = code;
    this.fields = fields;
  }
}

type CommandResult<T> =
  | { status: "ok"; data: T }
  | { status: "error"; error: IpcError | string };

/** Returns the data of a successful command, or throws its error as an `IpcFailure`. */
export function unwrap<T>(result: CommandResult<T>): T {
  if (result.status === "ok") return result.data;
  const { error } = result;
  if (typeof error === "string") throw new IpcFailure("IPC_UNAVAILABLE", error);
  throw new IpcFailure(error.code, error.message, error.fields ?? []);
}

/** Runs a command and unwraps it, turning framework rejections into `IPC_UNAVAILABLE`. */
export async function call<T>(command: () => Promise<CommandResult<T>>): Promise<T> {
  let result: CommandResult<T>;
  try {
    result = await command();
  } catch (e) {
    throw new IpcFailure("IPC_UNAVAILABLE", describe(e));
  }
  return unwrap(result);
}

/** Anything a command threw, as an `IpcFailure`. */
export function toFailure(e: unknown): IpcFailure {
  return e instanceof IpcFailure ? e : new IpcFailure("IPC_UNAVAILABLE", describe(e));
}

/** A one-line description of anything thrown. */
export function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === "string") return e;
  return JSON.stringify(e) ?? String(e);
}
