// Hand-written (not generated): test support for the SDK tests.
//
// `pulumi.runtime.setMocks` runs a program without an engine, but its mock monitor ignores
// the resource options the engine would act on. `installMocks` adds what the tests need on
// top: it records every registration with the options the SDK sent (additionalSecretOutputs,
// replaceOnChanges, version, pluginDownloadURL, provider) and every invoke, and it makes the
// outputs named in additionalSecretOutputs secret, as the engine does. Invokes are recorded
// with the version and pluginDownloadURL they carry.
import * as pulumi from "@pulumi/pulumi";

/** The key marking a special value in the Pulumi wire format. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
/** The signature of a secret value. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** One resource registration (or read, for `X.get`), as the engine would receive it. */
export interface Registration {
    type: string;
    name: string;
    inputs: Record<string, any>;
    id?: string;
    provider: string;
    additionalSecretOutputs: string[];
    replaceOnChanges: string[];
    version: string;
    pluginDownloadURL: string;
}

/** One invoke of a function. */
export interface Invocation {
    token: string;
    inputs: Record<string, any>;
    provider: string;
    version: string;
    pluginDownloadURL: string;
}

/** What the mocks saw. */
export interface Recorder {
    registrations: Registration[];
    invocations: Invocation[];
    /** The registration of the resource named `name`; fails the test when there is none. */
    registration(name: string): Registration;
    /** The invocations of `token`. */
    calls(token: string): Invocation[];
}

export interface MockOptions {
    /** Outputs the "provider" adds to a resource's inputs. */
    outputs?: (args: pulumi.runtime.MockResourceArgs) => Record<string, any>;
    /** A function's result. */
    results?: (args: pulumi.runtime.MockCallArgs) => Record<string, any>;
    project?: string;
    stack?: string;
}

/** Whether `v` is a secret in the wire format (how secret inputs reach the mocks). */
export function isSecretValue(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as any)[SIG_KEY] === SECRET_SIG;
}

/** The plain value of a wire-format secret (or `v` itself). */
export function reveal(v: any): any {
    return isSecretValue(v) ? v.value : v;
}

/** The resolved value of an output. */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => {
        o.apply((v) => {
            resolve(v);
            return v;
        });
    });
}

/** Installs the mocks and returns the recorder. Call it before creating resources. */
export async function installMocks(options: MockOptions = {}): Promise<Recorder> {
    const registrations: Registration[] = [];
    const invocations: Invocation[] = [];
    // Options of the registration in flight, keyed by type and name: the mock monitor calls
    // `newResource` without them.
    const pending = new Map<string, Registration>();
    // Likewise the options of the invoke in flight, by token.
    const pendingInvokes = new Map<string, { version: string; pluginDownloadURL: string }>();

    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
                const reg = pending.get(`${args.type}::${args.name}`);
                if (reg) {
                    reg.inputs = args.inputs;
                    reg.id = args.id || undefined;
                    registrations.push(reg);
                }
                const state: Record<string, any> = {
                    ...args.inputs,
                    ...(options.outputs ? options.outputs(args) : {}),
                };
                for (const key of reg?.additionalSecretOutputs ?? []) {
                    if (key in state && !isSecretValue(state[key])) {
                        state[key] = { [SIG_KEY]: SECRET_SIG, value: state[key] };
                    }
                }
                return { id: args.id || `${args.name}-id`, state };
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
                const sent = pendingInvokes.get(args.token) ?? { version: "", pluginDownloadURL: "" };
                invocations.push({ token: args.token, inputs: args.inputs, provider: args.provider ?? "", ...sent });
                return options.results ? options.results(args) : {};
            },
        },
        options.project ?? "project",
        options.stack ?? "stack",
        false,
    );

    const monitor = pulumi.runtime.getMonitor() as any;
    for (const method of ["registerResource", "readResource"]) {
        const original = monitor[method].bind(monitor);
        monitor[method] = (req: any, callback: any) => {
            const reg: Registration = {
                type: req.getType(),
                name: req.getName(),
                inputs: {},
                provider: req.getProvider(),
                additionalSecretOutputs: req.getAdditionalsecretoutputsList?.() ?? [],
                replaceOnChanges: req.getReplaceonchangesList?.() ?? [],
                version: req.getVersion(),
                pluginDownloadURL: req.getPlugindownloadurl(),
            };
            pending.set(`${reg.type}::${reg.name}`, reg);
            return original(req, callback);
        };
    }

    const invoke = monitor.invoke.bind(monitor);
    monitor.invoke = (req: any, callback: any) => {
        pendingInvokes.set(req.getTok(), {
            version: req.getVersion?.() ?? "",
            pluginDownloadURL: req.getPlugindownloadurl?.() ?? "",
        });
        return invoke(req, callback);
    };

    return {
        registrations,
        invocations,
        registration(name: string): Registration {
            const found = registrations.filter((r) => r.name === name);
            if (found.length !== 1) {
                throw new Error(`expected one registration named ${name}, saw ${found.length}: ${registrations.map((r) => r.name).join(", ")}`);
            }
            return found[0];
        },
        calls(token: string): Invocation[] {
            return invocations.filter((i) => i.token === token);
        },
    };
}
