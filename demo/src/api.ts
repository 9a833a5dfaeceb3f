// The typed API clients (openapi-fetch over the `paths` generated from
// openapi/openapi.json) and problem documents as errors.

import createClient, { type Client } from "openapi-fetch";

import type { components, paths } from "../.build/api";

export type Api = Client<paths>;
export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

/** A client that sends `key` as its bearer token, on this page's origin. */
export function client(key: string): Api {
  return createClient<paths>({
    baseUrl: location.origin,
    headers: { Authorization: `Bearer ${key}` },
  });
}

/** A refusal from the API, carrying its problem document. */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly status: number,
  ) {
    super(problem.detail || problem.title);
  }

  get code(): string {
    return this.problem.code;
  }
}

function asProblem(error: unknown, response: Response): Problem {
  if (typeof error === "object" && error !== null && "code" in error && "title" in error) {
    return error as Problem;
  }
  const text = typeof error === "string" && error ? error : response.statusText;
  return {
    type: "about:blank",
    title: response.statusText || "Error",
    status: response.status,
    detail: text || `The server answered ${response.status}.`,
    code: "unexpected_response",
  };
}

/**
 * The body of a successful call, or a {@link ProblemError} with the problem
 * document the API answered instead.
 */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    throw new ProblemError(asProblem(error, response), response.status);
  }
  return data as T;
}
