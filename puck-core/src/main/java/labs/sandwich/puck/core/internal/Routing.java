package labs.sandwich.puck.core.internal;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.Ingress;
import labs.sandwich.puck.spi.Route;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an ingress's routes in step with sprites' states: a running sprite's routes lead to
 * it, any other's to the activator, which wakes it on the first request. Routes are switched
 * to the activator before a sprite goes to sleep and back once it runs again; the daemon also
 * re-syncs them every tick, for changes made by processes without an ingress and for a proxy
 * that restarted empty.
 */
public final class Routing {
    private static final Logger LOG = LoggerFactory.getLogger(Routing.class);

    private final Ingress ingress;
    private final Endpoint activator;
    private final StateStore store;
    private final SpriteRuntime runtime;
    /** What this process last published per sprite and port: true for the activator. */
    private final Map<String, Boolean> published = new ConcurrentHashMap<>();

    /**
     * @param ingress   the ingress
     * @param activator where the activator listens
     * @param store     the store, with the exposures
     * @param runtime   the runtime, for sprites' endpoints
     */
    public Routing(Ingress ingress, Endpoint activator, StateStore store, SpriteRuntime runtime) {
        this.ingress = ingress;
        this.activator = activator;
        this.store = store;
        this.runtime = runtime;
    }

    /** @return the ingress */
    public Ingress ingress() {
        return ingress;
    }

    /**
     * Publishes a port and records it.
     *
     * @param sprite  the sprite
     * @param port    its port
     * @param mode    who may reach it
     * @param primary whether the bare name leads to it
     * @param state   the sprite's state now
     * @return the URL
     */
    public synchronized URI expose(String sprite, int port, ExposureMode mode, boolean primary, SpriteState state) {
        URI url = publish(sprite, port, mode, primary, state != SpriteState.RUNNING);
        store.expose(new StateStore.Exposed(sprite, port, mode, primary, url.toString()));
        return url;
    }

    /** @param sprite a sprite @param port its port: withdrawn and forgotten */
    public synchronized void unexpose(String sprite, int port) {
        ingress.withdraw(sprite, port);
        store.unexpose(sprite, port);
        published.remove(sprite + ":" + port);
    }

    /** @param sprite a deleted sprite: every route goes */
    public void withdrawAll(String sprite) {
        for (StateStore.Exposed e : store.exposures(sprite)) {
            unexpose(sprite, e.port());
        }
    }

    /**
     * Points the sprite's routes where its state says.
     *
     * @param sprite the sprite
     * @param state  its state now (transitional states count as asleep: a sprite going to sleep no longer answers)
     */
    public synchronized void follow(String sprite, SpriteState state) {
        for (StateStore.Exposed e : store.exposures(sprite)) {
            boolean toActivator = state != SpriteState.RUNNING;
            if (!Boolean.valueOf(toActivator).equals(published.get(sprite + ":" + e.port()))) {
                publish(sprite, e.port(), e.mode(), e.primary(), toActivator);
            }
        }
    }

    /**
     * Makes the ingress serve every exposure as the store's states say: after the proxy
     * restarted, everything; otherwise only what changed since this process last published.
     *
     * @param states every sprite's state
     */
    public synchronized void sync(Map<String, SpriteState> states) {
        if (ingress.revive()) {
            LOG.warn("The {} ingress had to be started again; publishing every route", ingress.name());
            published.clear();
        }
        for (StateStore.Exposed e : store.exposures(null)) {
            SpriteState state = states.get(e.sprite());
            if (state != null) {
                follow(e.sprite(), state);
            }
        }
    }

    private URI publish(String sprite, int port, ExposureMode mode, boolean primary, boolean toActivator) {
        Endpoint target = toActivator ? activator : runtime.endpoint(sprite, port);
        URI url = ingress.publish(new Route(sprite, port, target, mode, primary, toActivator));
        published.put(sprite + ":" + port, toActivator);
        return url;
    }
}
