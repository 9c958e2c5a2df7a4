// Hand-written (not generated): test support for the SDK tests of @oceanid/oceanid.
//
// `pulumi.runtime.setMocks` runs a program without an engine. `installMocks` records every
// invoke with the arguments, version and pluginDownloadURL the SDK sent, and answers it with
// `results`; a result that is an Error fails the invoke, as a failed check with
// `failOnError: true` does.
import * as pulumi from "@pulumi/pulumi";

/** One invoke of a function. */
export interface Invocation {
    token: string;
    inputs: Record<string, any>;
    version: string;
    pluginDownloadURL: string;
}

/** What the mocks saw. */
export interface Recorder {
    invocations: Invocation[];
    /** The invocations of `token`. */
    calls(token: string): Invocation[];
}

/** Installs the mocks and returns the recorder. */
export async function installMocks(
    results: (args: pulumi.runtime.MockCallArgs) => Record<string, any>,
): Promise<Recorder> {
    const invocations: Invocation[] = [];
    const pending = new Map<string, { version: string; pluginDownloadURL: string }>();
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
                return { id: `${args.name}-id`, state: args.inputs };
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
    return {
        invocations,
        calls: (token: string) => invocations.filter((i) => i.token === token),
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
