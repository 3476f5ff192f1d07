package labs.sandwich.puck.cli;

import java.net.URI;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.api.Sprite;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code puck expose NAME PORT [--tailnet | --public]}: a URL for a sprite's port, private to
 * this machine by default (Caddy: {@code http://NAME.localhost}), for the tailnet or the internet
 * (Tailscale) when asked; every answer says who can reach it. A request to it wakes the sprite if
 * it sleeps. With {@code --tcp}, a raw TCP port on the host instead (SSH, databases), served by
 * puckd; a connection to it wakes the sprite.
 */
@Command(name = "expose", description = "Give a sprite's port a URL (http://NAME.localhost, only this machine; --tailnet or --public through Tailscale), "
        + "or a raw TCP host port with --tcp; requests and connections wake the sprite.")
final class ExposeCommand extends Base {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "PORT")
    int port;

    @Option(names = "--ingress", paramLabel = "NAME", description = "The ingress (default: caddy).")
    String ingress = "caddy";

    @Option(names = "--withdraw", description = "Take the URL (or with --tcp, the host ports) away again.")
    boolean withdraw;

    @Option(names = "--tailnet", description = "Devices on your tailnet can reach it (https://NAME.<tailnet>.ts.net through tailscaled).")
    boolean tailnet;

    @Option(names = "--public", description = "Anyone on the internet can reach it (Tailscale Funnel, on this machine's tailnet name); "
            + "with --tcp: listen on every address of this machine, so anyone who can reach it can connect.")
    boolean publicly;

    @Option(names = "--tcp", description = "Raw TCP on a host port (127.0.0.1 unless --public), not HTTP through the ingress.")
    boolean tcp;

    @Option(names = "--host-port", paramLabel = "N", description = "With --tcp: the host port (default: any free one).")
    int hostPort;

    @Override
    boolean needsPuck() {
        return false;
    }

    @Override
    int run(Puck unused) {
        if (tailnet && publicly) {
            throw new InvalidSpecException("--public", "--tailnet and --public were both given.",
                    "Give one: --tailnet for devices on your tailnet, --public for anyone on the internet.");
        }
        if (tcp) {
            if (tailnet) {
                throw new InvalidSpecException("--tailnet", "--tailnet does not apply to --tcp: raw TCP ports are on this machine's addresses.",
                        "Use --tcp alone (only this machine) or --tcp --public (every address of this machine).");
            }
            return tcp();
        }
        if (hostPort != 0) {
            throw new InvalidSpecException("--host-port", "--host-port applies to --tcp only.", "Add --tcp for a raw TCP port.");
        }
        ExposureMode mode = publicly ? ExposureMode.PUBLIC : tailnet ? ExposureMode.TAILNET : ExposureMode.LOCAL;
        URI url;
        try (Puck puck = global.builder().ingress(ingress).build()) {
            Sprite s = puck.get(name);
            if (withdraw) {
                s.expose(port).close();
                result("withdrew port " + port + " of " + name, Out.map("sprite", name, "port", port, "withdrawn", true));
                return ExitCodes.OK;
            }
            if (mode == ExposureMode.PUBLIC) {
                err().println("warning: " + name + ":" + port + " is about to be reachable by anyone on the internet (Tailscale Funnel), "
                        + "with no login in front of it. Withdraw it with `puck expose " + name + " " + port + " --withdraw`.");
                err().flush();
            }
            url = s.expose(port, mode).url();
        } // closed first: this process's activator gives the port up to puckd
        DaemonCommand.ensureRunningWithIngress(global, this::progress);
        result(url + "  (" + mode.audience() + " can reach it; requests wake " + name + " when it sleeps)",
                Out.map("sprite", name, "port", port, "url", url.toString(), "mode", mode.name(), "audience", mode.audience()));
        return ExitCodes.OK;
    }

    private int tcp() {
        ExposureMode mode = publicly ? ExposureMode.PUBLIC : ExposureMode.LOCAL;
        URI url;
        try (Puck puck = global.builder().build()) {
            Sprite s = puck.get(name);
            if (withdraw) {
                s.exposeTcp(port, 0, mode).close(); // withdraws every host port of this sprite port
                result("withdrew the raw TCP ports of port " + port + " of " + name, Out.map("sprite", name, "port", port, "withdrawn", true));
                return ExitCodes.OK;
            }
            url = s.exposeTcp(port, hostPort, mode).url();
        } // closed first: this process's listener gives the port up to puckd
        DaemonCommand.ensureRunning(global, this::progress);
        String audience = publicly ? "every address of this machine: anyone who can reach it can connect" : "only this machine can connect";
        result(url + "  (" + audience + "; a connection wakes " + name + " when it sleeps)",
                Out.map("sprite", name, "port", port, "url", url.toString(), "hostPort", url.getPort(), "audience", mode.audience()));
        return ExitCodes.OK;
    }
}
