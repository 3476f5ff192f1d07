package labs.sandwich.puck.core.internal;

import java.io.IOException;
import java.net.BindException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.RuntimeUnavailableException;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.Ingress;
import labs.sandwich.puck.spi.IngressProvider;
import labs.sandwich.puck.spi.Probe;
import labs.sandwich.puck.spi.RuntimeContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the configured ingress (with the ones serving the audiences it does not: Tailscale
 * beside Caddy) and the activator behind it. Every process sharing a store
 * routes sleeping sprites to one activator port, recorded in the store: whichever process can
 * listen there serves it (puckd, usually), so a route published by a short-lived process still
 * leads somewhere once that process is gone.
 */
public final class Ingresses {
    private static final Logger LOG = LoggerFactory.getLogger(Ingresses.class);

    private Ingresses() {}

    /** The ingress and, if this process serves it (now or once the process serving it exits), the activator. */
    public static final class Opened implements AutoCloseable {
        private final Ingress ingress;
        private volatile @Nullable Activator activator;
        private volatile boolean closed;

        Opened(Ingress ingress, @Nullable Activator activator) {
            this.ingress = ingress;
            this.activator = activator;
        }

        /** @return the ingress */
        public Ingress ingress() {
            return ingress;
        }

        /** Keeps trying to listen on the port another process serves now, to take over when it exits. */
        void standBy(Engine engine, int port) {
            Thread.ofPlatform().daemon().name("puck-activator-standby").start(() -> {
                while (!closed && activator == null) {
                    try {
                        Thread.sleep(500);
                        Activator a = new Activator(engine, port);
                        synchronized (this) {
                            if (closed) {
                                a.close();
                            } else {
                                activator = a;
                            }
                        }
                    } catch (IOException e) {
                        // still taken
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        @Override
        public synchronized void close() {
            closed = true;
            try {
                if (activator != null) {
                    activator.close();
                }
            } finally {
                ingress.close();
            }
        }
    }

    /**
     * The chosen ingress, plus for each audience it does not serve the first other provider that
     * offers it (Tailscale beside Caddy). Those are made whatever their probe says now: they
     * refuse to publish while unavailable, and serve once the cause is gone.
     */
    private static Ingress withOtherAudiences(IngressProvider chosen, Ingress ingress, List<IngressProvider> providers, RuntimeContext context) {
        Map<ExposureMode, Ingress> byMode = new EnumMap<>(ExposureMode.class);
        ingress.modes().forEach(m -> byMode.put(m, ingress));
        Map<IngressProvider, Ingress> made = new HashMap<>();
        for (ExposureMode mode : ExposureMode.values()) {
            for (IngressProvider p : providers) {
                if (!byMode.containsKey(mode) && p != chosen && p.modes().contains(mode)) {
                    try {
                        byMode.put(mode, made.computeIfAbsent(p, q -> q.create(context)));
                    } catch (RuntimeException e) {
                        LOG.warn("The {} ingress could not be set up, so nothing is exposed to {}: {}", p.name(), mode.audience(), e.getMessage());
                    }
                }
            }
        }
        return made.isEmpty() ? ingress : new CombinedIngress(ingress, byMode);
    }

    /**
     * @param name    the ingress's name, e.g. {@code caddy}
     * @param loaders where to look for providers
     * @param context what the ingress gets
     * @param engine  the engine, which the activator wakes sprites through and which gets the routing
     * @param config  settings ({@code activator.port})
     * @return the ingress and the activator, wired into the engine
     * @throws RuntimeUnavailableException if there is no such ingress or it cannot work here
     */
    public static Opened open(String name, List<ClassLoader> loaders, RuntimeContext context, Engine engine, Config config) {
        List<String> found = new ArrayList<>();
        List<IngressProvider> providers = new ArrayList<>();
        IngressProvider chosen = null;
        for (ClassLoader loader : loaders) {
            for (IngressProvider p : ServiceLoader.load(IngressProvider.class, loader)) {
                if (found.contains(p.name())) {
                    continue; // the same provider through another loader
                }
                found.add(p.name());
                providers.add(p);
                if (p.name().equals(name)) {
                    chosen = p;
                }
            }
        }
        if (chosen == null) {
            throw new RuntimeUnavailableException("There is no ingress named '" + name + "' (found: " + (found.isEmpty() ? "none" : String.join(", ", found)) + ").",
                    List.of(new RuntimeUnavailableException.Candidate(name, 0, "not on the class path.", "add puck-network (it provides caddy).")),
                    "Put puck-network on the class path, or set PUCK_INGRESS to one of the names found.");
        }
        if (chosen.probe(context) instanceof Probe.Unavailable u) {
            throw new RuntimeUnavailableException("The ingress '" + name + "' cannot be used here.",
                    List.of(new RuntimeUnavailableException.Candidate(name, 0, u.reason(), u.remedy())), u.remedy());
        }
        Ingress ingress = withOtherAudiences(chosen, chosen.create(context), providers, context);
        StateStore store = engine.store();
        int port = config.get("activator.port").map(Integer::parseInt)
                .or(() -> store.backendState().get("puck", "activator-port").map(Integer::parseInt)).orElse(0);
        Activator activator = null;
        boolean taken = false;
        try {
            activator = new Activator(engine, port);
            port = activator.endpoint().port();
            store.backendState().put("puck", "activator-port", Integer.toString(port));
        } catch (BindException e) {
            taken = true; // another process serves the store's activator on that port; stand by to take over
        } catch (IOException e) {
            ingress.close();
            throw new RuntimeUnavailableException("Puck's activator cannot listen on 127.0.0.1:" + port + " (" + e.getMessage() + ").", List.of(),
                    "Free the port or set PUCK_ACTIVATOR_PORT to another one.");
        }
        engine.routing(new Routing(ingress, new Endpoint("127.0.0.1", port), store, engine.runtime()));
        Opened opened = new Opened(ingress, activator);
        if (taken) {
            opened.standBy(engine, port);
        }
        return opened;
    }
}
