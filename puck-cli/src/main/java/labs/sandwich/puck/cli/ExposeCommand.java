package labs.sandwich.puck.cli;

import java.net.URI;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.Sprite;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code puck expose NAME PORT [--tailnet | --public]}: a URL for a sprite's port, private to
 * this machine by default (Caddy: {@code http://NAME.localhost}), for the tailnet or the internet
 * (Tailscale) when asked; every answer says who can reach it. A request to it wakes the sprite if
 * it sleeps.
 */
@Command(name = "expose", description = "Give a sprite's port a URL (http://NAME.localhost, only this machine; --tailnet or --public through Tailscale); "
        + "requests to it wake the sprite.")
final class ExposeCommand extends Base {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "PORT")
    int port;

    @Option(names = "--ingress", paramLabel = "NAME", description = "The ingress (default: caddy).")
    String ingress = "caddy";

    @Option(names = "--withdraw", description = "Take the URL away again.")
    boolean withdraw;

    @Option(names = "--tailnet", description = "Devices on your tailnet can reach it (https://NAME.<tailnet>.ts.net through tailscaled).")
    boolean tailnet;

    @Option(names = "--public", description = "Anyone on the internet can reach it (Tailscale Funnel, on this machine's tailnet name).")
    boolean publicly;

    @Override
    boolean needsPuck() {
        return false;
    }

    @Override
    int run(Puck unused) {
        if (tailnet && publicly) {
            throw new labs.sandwich.puck.api.InvalidSpecException("--public", "--tailnet and --public were both given.",
                    "Give one: --tailnet for devices on your tailnet, --public for anyone on the internet.");
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
}
