package labs.sandwich.puck.cli;

import java.net.URI;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.Sprite;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code puck expose NAME PORT}: a URL for a sprite's port through the ingress (Caddy:
 * {@code http://NAME.localhost}); a request to it wakes the sprite if it sleeps.
 */
@Command(name = "expose", description = "Give a sprite's port a URL (http://NAME.localhost); requests to it wake the sprite.")
final class ExposeCommand extends Base {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "PORT")
    int port;

    @Option(names = "--ingress", paramLabel = "NAME", description = "The ingress (default: caddy).")
    String ingress = "caddy";

    @Option(names = "--withdraw", description = "Take the URL away again.")
    boolean withdraw;

    @Override
    boolean needsPuck() {
        return false;
    }

    @Override
    int run(Puck unused) {
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
}
