// Hand-written (not generated): test support for the SDK tests of @oceanid/oceanid.
//
// `pulumi.runtime.setMocks` runs a program without an engine. `installMocks` records every
// invoke with the arguments, version and pluginDownloadURL the SDK sent, and answers it with
// `results`; a result that is an Error fails the invoke, as a failed check with
// `failOnError: true` does. It records every resource registration too (type, name, inputs,
// provider reference and the version the SDK sent) and answers it with `resources`, or with
// the id `<name>-id` and the inputs as state.
import * as pulumi from "@pulumi/pulumi";

/** One invoke of a function. */
export interface Invocation {
    token: string;
    inputs: Record<string, any>;
    version: string;
    pluginDownloadURL: string;
}

/** One registration of a resource (a provider resource included). */
export interface Registration {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** The provider reference (`<urn>::<id>`), empty for the default provider. */
    provider: string;
    version: string;
}

/** What the mocks saw. */
export interface Recorder {
    invocations: Invocation[];
    /** The invocations of `token`. */
    calls(token: string): Invocation[];
    registrations: Registration[];
    /** The registrations of resources of type `type`. */
    registered(type: string): Registration[];
}

/** Answers a registration: an id and the state, outputs included. */
export type ResourceAnswer = (args: pulumi.runtime.MockResourceArgs) => pulumi.runtime.MockResourceResult;

const inputsAsState: ResourceAnswer = (args) => ({ id: `${args.name}-id`, state: args.inputs });

/** Installs the mocks and returns the recorder. */
export async function installMocks(
    results: (args: pulumi.runtime.MockCallArgs) => Record<string, any>,
    resources: ResourceAnswer = inputsAsState,
): Promise<Recorder> {
    const invocations: Invocation[] = [];
    const registrations: Registration[] = [];
    const pending = new Map<string, { version: string; pluginDownloadURL: string }>();
    const versions = new Map<string, string>();
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
                registrations.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    provider: args.provider ?? "",
                    version: versions.get(`${args.type}::${args.name}`) ?? "",
                });
                return resources(args);
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
                const sent = pending.get(args.token) ?? { version: "", pluginDownloadURL: "" };
                invocations.push({ token: args.token, inputs: args.inputs, ...sent });
                return results(args);
            },
        },
        "project",
        "stack",
        false,
    );
    const monitor = pulumi.runtime.getMonitor() as any;
    const invoke = monitor.invoke.bind(monitor);
    monitor.invoke = (req: any, callback: any) => {
        pending.set(req.getTok(), {
            version: req.getVersion?.() ?? "",
            pluginDownloadURL: req.getPlugindownloadurl?.() ?? "",
        });
        return invoke(req, callback);
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        versions.set(`${req.getType()}::${req.getName()}`, req.getVersion?.() ?? "");
        return register(req, callback);
    };
    return {
        invocations,
        calls: (token: string) => invocations.filter((i) => i.token === token),
        registrations,
        registered: (type: string) => registrations.filter((r) => r.type === type),
    };
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
