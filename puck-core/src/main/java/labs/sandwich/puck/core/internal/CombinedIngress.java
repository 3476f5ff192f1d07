package labs.sandwich.puck.core.internal;

import java.net.URI;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.spi.Ingress;
import labs.sandwich.puck.spi.Route;

/**
 * The configured ingress plus the ones added for audiences it cannot serve (Caddy for
 * {@code LOCAL}, Tailscale for {@code TAILNET} and {@code PUBLIC}), as one: a route goes to the
 * ingress of its mode. A sprite's port has one URL, so a route published under another mode
 * than before is withdrawn from the ingress that had it. Named after the configured ingress, which
 * is what the store remembers.
 */
final class CombinedIngress implements Ingress {
    private final Ingress primary;
    private final List<Ingress> all;
    private final Map<ExposureMode, Ingress> byMode;
    /** The mode each route was last published with by this process. */
    private final Map<String, ExposureMode> modes = new ConcurrentHashMap<>();

    /** @param primary the configured ingress @param byMode the ingress serving each audience */
    CombinedIngress(Ingress primary, Map<ExposureMode, Ingress> byMode) {
        this.primary = primary;
        this.byMode = Map.copyOf(byMode);
        this.all = byMode.values().stream().distinct().toList();
    }

    @Override
    public String name() {
        return primary.name();
    }

    @Override
    public Set<ExposureMode> modes() {
        return byMode.isEmpty() ? Set.of() : EnumSet.copyOf(byMode.keySet());
    }

    @Override
    public URI publish(Route route) {
        Ingress target = byMode.get(route.mode());
        if (target == null) {
            return primary.publish(route); // it says what it cannot do
        }
        String key = route.sprite() + ":" + route.port();
        URI url = target.publish(route); // first: a refusal (tailscaled down) leaves the URL the port had
        if (modes.get(key) != route.mode()) {
            for (Ingress other : all) {
                if (other != target) {
                    other.withdraw(route.sprite(), route.port()); // absent routes are ignored
                }
            }
        }
        modes.put(key, route.mode());
        return url;
    }

    @Override
    public void withdraw(String sprite, int port) {
        modes.remove(sprite + ":" + port);
        RuntimeException first = null;
        for (Ingress i : all) {
            try {
                i.withdraw(sprite, port);
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public boolean revive() {
        boolean lost = false;
        for (Ingress i : all) {
            lost |= i.revive(); // every one, even after one said yes: each starts what it runs
        }
        return lost;
    }

    @Override
    public void close() {
        for (Ingress i : all) {
            i.close();
        }
    }
}
