/**
 * The tool's name and version, as package.json says (a test keeps the two equal). Recorded in
 * every inheritune.json so a target says which build made it.
 * @module
 */
export const TOOL = { name: "inheritune", version: "0.1.0" } as const;
