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
 * {@code puck expose NAME PORT}: a URL for a sprite's port through the ingress (Caddy:
 * {@code http://NAME.localhost}); a request to it wakes the sprite if it sleeps. With
 * {@code --tcp}, a raw TCP port on the host instead (SSH, databases), served by puckd.
 */
@Command(name = "expose", description = "Give a sprite's port a URL (http://NAME.localhost), or a raw TCP host port with --tcp; "
        + "connections wake the sprite.")
final class ExposeCommand extends Base {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "PORT")
    int port;

    @Option(names = "--ingress", paramLabel = "NAME", description = "The ingress (default: caddy).")
    String ingress = "caddy";

    @Option(names = "--withdraw", description = "Take the URL (or with --tcp, the host ports) away again.")
    boolean withdraw;

    @Option(names = "--tcp", description = "Raw TCP on a host port (127.0.0.1 unless --public), not HTTP through the ingress.")
    boolean tcp;

    @Option(names = "--host-port", paramLabel = "N", description = "With --tcp: the host port (default: any free one).")
    int hostPort;

    @Option(names = "--public", description = "With --tcp: listen on every address of this machine, so anyone who can reach it can connect.")
    boolean everywhere;

    @Override
    boolean needsPuck() {
        return false;
    }

    @Override
    int run(Puck unused) {
        if (tcp) {
            return tcp();
        }
        if (everywhere || hostPort != 0) {
            throw new InvalidSpecException(everywhere ? "--public" : "--host-port", (everywhere ? "--public" : "--host-port") + " applies to --tcp only.",
                    "Add --tcp for a raw TCP port; URLs through the ingress are for this machine only.");
        }
        URI url;
        try (Puck puck = global.builder().ingress(ingress).build()) {
            Sprite s = puck.get(name);
            if (withdraw) {
                s.expose(port).close();
                result("withdrew port " + port + " of " + name, Out.map("sprite", name, "port", port, "withdrawn", true));
                return ExitCodes.OK;
            }
            url = s.expose(port, ExposureMode.LOCAL).url();
        } // closed first: this process's activator gives the port up to puckd
        DaemonCommand.ensureRunningWithIngress(global, this::progress);
        result(url + "  (only this machine can reach it; requests wake " + name + " when it sleeps)",
                Out.map("sprite", name, "port", port, "url", url.toString(), "audience", ExposureMode.LOCAL.audience()));
        return ExitCodes.OK;
    }

    private int tcp() {
        ExposureMode mode = everywhere ? ExposureMode.PUBLIC : ExposureMode.LOCAL;
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
        String audience = everywhere ? "every address of this machine: anyone who can reach it can connect" : "only this machine can connect";
        result(url + "  (" + audience + "; a connection wakes " + name + " when it sleeps)",
                Out.map("sprite", name, "port", port, "url", url.toString(), "hostPort", url.getPort(), "audience", mode.audience()));
        return ExitCodes.OK;
    }
}
