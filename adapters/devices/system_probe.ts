/**
 * What the machine has around WebGPU, asked of the system itself: the Vulkan driver manifests the
 * loader would find, `vulkaninfo --summary`, the Debian packages of Mesa and the Vulkan loader, and
 * the bench's peers (numpy with its BLAS, torch) in each python3. Every subprocess of the project's
 * device checks runs from here; a program that is missing or fails is a value ("absent"), never a throw.
 * @module
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { homedir, platform } from "node:os";
import { join } from "node:path";
import process from "node:process";

export type ProgramResult =
  | { readonly ran: true; readonly code: number; readonly stdout: string; readonly stderr: string }
  | { readonly ran: false; readonly why: string };

export interface ProgramOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** Runs a program to its end (or its timeout); a missing program is `ran: false`. */
export const runProgram = (file: string, args: readonly string[], o: ProgramOptions = {}): Promise<ProgramResult> =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: o.timeoutMs ?? 20_000, maxBuffer: 16 << 20, env: { ...process.env, ...o.env } },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        if (error !== null && typeof code !== "number") {
          resolve({ ran: false, why: code === "ENOENT" ? `${file} is not installed` : error.message.split("\n")[0]! });
        } else resolve({ ran: true, code: typeof code === "number" ? code : 0, stdout, stderr });
      },
    );
  });

const jsonFilesIn = (dir: string): string[] => {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => join(dir, f));
  } catch {
    return [];
  }
};

/**
 * The Vulkan driver (ICD) manifests the Linux loader would read: VK_DRIVER_FILES / VK_ICD_FILENAMES
 * replace the search when set (files or folders, ':'-separated), VK_ADD_DRIVER_FILES adds to it, else
 * the icd.d folders under XDG_CONFIG_DIRS, /etc, XDG_DATA_HOME and XDG_DATA_DIRS. Empty elsewhere than Linux.
 */
export const vulkanDriverManifests = (env: Readonly<Record<string, string | undefined>> = process.env): string[] => {
  if (platform() !== "linux") return [];
  const expand = (list: string | undefined) =>
    (list ?? "").split(":").filter((p) => p !== "").flatMap((p) =>
      p.endsWith(".json") ? (existsSync(p) ? [p] : []) : jsonFilesIn(p)
    );
  const override = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  if (override !== undefined && override !== "") return expand(override);
  const dirs = [
    ...(env.XDG_CONFIG_DIRS ?? "/etc/xdg").split(":"),
    "/etc",
    env.XDG_DATA_HOME ?? join(homedir(), ".local/share"),
    ...(env.XDG_DATA_DIRS ?? "/usr/local/share:/usr/share").split(":"),
  ].filter((d) => d !== "");
  return [
    ...new Set([...dirs.flatMap((d) => jsonFilesIn(join(d, "vulkan/icd.d"))), ...expand(env.VK_ADD_DRIVER_FILES)]),
  ];
};

/** The packages the Mesa Vulkan install brings (README, .ci/install-system.sh). */
export const VULKAN_PACKAGES = ["mesa-vulkan-drivers", "libvulkan1"] as const;

/** Debian package versions (null: not installed); undefined where there is no dpkg-query (not Debian). */
export const debianPackages = async (
  names: readonly string[] = VULKAN_PACKAGES,
): Promise<Record<string, string | null> | undefined> => {
  const r = await runProgram("dpkg-query", ["-W", "-f", "${Package} ${db:Status-Status} ${Version}\\n", ...names]);
  if (!r.ran) return undefined;
  const found = new Map(
    r.stdout.split("\n").map((l) => l.split(" ")).filter((f) => f[1] === "installed").map((f) => [
      f[0]!.split(":")[0]!,
      f[2]!,
    ]),
  );
  return Object.fromEntries(names.map((n) => [n, found.get(n) ?? null]));
};

export interface VulkanDevice {
  readonly deviceName: string;
  readonly deviceType: string;
  readonly driverName: string;
  readonly driverInfo: string;
  readonly apiVersion: string;
}

export type VulkanInfo =
  | { readonly present: true; readonly instanceVersion: string; readonly devices: readonly VulkanDevice[] }
  | { readonly present: false; readonly why: string };

/** Reads `vulkaninfo --summary`'s instance version and its GPUn blocks (key = value lines). */
export const parseVulkanSummary = (text: string): VulkanInfo => {
  const instanceVersion = /Vulkan Instance Version:\s*(\S+)/.exec(text)?.[1] ?? "unknown";
  const blocks = text.split(/^GPU\d+:$/m).slice(1);
  const field = (b: string, k: string) => new RegExp(`^\\s*${k}\\s*=\\s*(.*)$`, "m").exec(b)?.[1]?.trim() ?? "";
  const devices = blocks.map((b) => ({
    deviceName: field(b, "deviceName"),
    deviceType: field(b, "deviceType").replace(/^PHYSICAL_DEVICE_TYPE_/, ""),
    driverName: field(b, "driverName"),
    driverInfo: field(b, "driverInfo"),
    apiVersion: field(b, "apiVersion"),
  }));
  return { present: true, instanceVersion, devices };
};

export const vulkanInfo = async (): Promise<VulkanInfo> => {
  const r = await runProgram("vulkaninfo", ["--summary"]);
  if (!r.ran) return { present: false, why: r.why };
  if (r.code !== 0) {
    return { present: false, why: `vulkaninfo --summary exited ${r.code}: ${r.stderr.trim().split("\n")[0]}` };
  }
  return parseVulkanSummary(r.stdout);
};

export interface PythonPeers {
  readonly python: string; // the interpreter as found, e.g. /usr/bin/python3
  readonly numpy: string | null; // version, null when it does not import
  readonly blas: string | null; // numpy's BLAS, e.g. "scipy-openblas 0.3.31"
  readonly torch: string | null;
}

const PEERS_SCRIPT = `
import json
out = {"numpy": None, "blas": None, "torch": None}
try:
    import numpy
    out["numpy"] = numpy.__version__
    try:
        b = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        out["blas"] = (b.get("name", "") + " " + str(b.get("version", ""))).strip()
    except Exception:
        pass
except Exception:
    pass
try:
    import torch
    out["torch"] = torch.__version__
except Exception:
    pass
print(json.dumps(out))
`;

const onPath = (name: string): string[] =>
  (process.env.PATH ?? "").split(":").filter((d) => d !== "").map((d) => join(d, name)).filter((p) => existsSync(p));

/**
 * The peers in the first python3 on PATH (the bench's numpy) and in /usr/bin/python3 (Debian's, where
 * python3-torch lives; bench/peer_torch.ts uses it), once each when both are the same file.
 */
export const pythonPeers = async (): Promise<PythonPeers[]> => {
  const candidates = [
    ...onPath("python3").slice(0, 1),
    ...(existsSync("/usr/bin/python3") ? ["/usr/bin/python3"] : []),
  ];
  const seen = new Set<string>(), out: PythonPeers[] = [];
  for (const python of candidates) {
    const real = (() => {
      try {
        return realpathSync(python);
      } catch {
        return python;
      }
    })();
    // a pyenv shim resolves to a script, not to the interpreter it picks: compare by what it prints
    const r = await runProgram(python, ["-c", PEERS_SCRIPT], { timeoutMs: 60_000 });
    const key = `${real}|${r.ran ? r.stdout : ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!r.ran || r.code !== 0) continue;
    try {
      out.push({ python, ...(JSON.parse(r.stdout) as Omit<PythonPeers, "python">) });
    } catch {
      // an interpreter that prints something else is left out
    }
  }
  return out;
};

/** What the install note needs (adapter_line.ts installNote): the platform and, on Debian, the Vulkan packages. */
export interface SystemFacts {
  readonly platform: string;
  readonly debian: boolean;
  readonly packages: Readonly<Record<string, string | null>> | undefined;
}

export const systemFacts = async (): Promise<SystemFacts> => {
  const debian = existsSync("/etc/debian_version");
  return { platform: platform(), debian, packages: debian ? await debianPackages() : undefined };
};
