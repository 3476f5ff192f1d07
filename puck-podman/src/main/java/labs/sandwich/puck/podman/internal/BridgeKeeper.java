package labs.sandwich.puck.podman.internal;

import java.util.List;
import java.util.Map;
import labs.sandwich.puck.podman.internal.libpod.ApiException;
import labs.sandwich.puck.podman.internal.libpod.model.ListContainer;
import labs.sandwich.puck.podman.internal.libpod.model.Namespace;
import labs.sandwich.puck.podman.internal.libpod.model.Network;
import labs.sandwich.puck.podman.internal.libpod.model.PerNetworkOptions;
import labs.sandwich.puck.podman.internal.libpod.model.SpecGenerator;

/**
 * Sprites' network, {@code puck}, and the container that keeps its bridge up. Podman deletes a
 * network's bridge when its last running container stops, and a checkpointed sprite does
 * not run: with every sprite asleep, traffic to a sprite's address would follow the host's
 * default route off the machine. So a tiny container ({@code sleep infinity}, no volumes,
 * labelled {@code puck.role=network-keeper} and never {@code puck.sprite}, so never listed as a
 * sprite) stays on the network while any sprite container exists. Its name holds an underscore,
 * which no sprite's container name can ({@code puck-<RFC 1123 label>}).
 */
final class BridgeKeeper {
    static final String NETWORK = "puck";
    static final String KEEPER = "puck_network-keeper";
    static final String ROLE = "puck.role";

    private final PodmanClient client;
    private volatile boolean networkSeen;

    BridgeKeeper(PodmanClient client) {
        this.client = client;
    }

    /** Creates the network if it is missing; idempotent, and cheap after the first call. */
    void ensureNetwork() throws ApiException {
        if (networkSeen) {
            return;
        }
        try {
            client.networks().networkExists(NETWORK);
        } catch (ApiException e) {
            if (e.getCode() != 404) {
                throw e;
            }
            try {
                client.networks().networkCreate(new Network().name(NETWORK).driver("bridge").labels(Map.of(SpecLabels.MANAGED, SpecLabels.PUCK)));
            } catch (ApiException raced) {
                if (raced.getCode() != 409) { // made by another process meanwhile
                    throw raced;
                }
            }
        }
        networkSeen = true;
    }

    /** Joins a container spec to the network. */
    static SpecGenerator onNetwork(SpecGenerator gen) {
        return gen.netns(new Namespace().nsmode("bridge")).networks(Map.of(NETWORK, new PerNetworkOptions()));
    }

    /**
     * Makes sure the keeper runs: creates or starts it when it does not. Idempotent and safe
     * against other processes doing the same (a lost race to create is a success).
     *
     * @param image an image that has {@code sleep} (the keeper runs nothing else)
     */
    void ensureKeeper(String image) throws ApiException {
        for (int attempt = 1; ; attempt++) {
            try {
                if (keeperRuns()) {
                    return;
                }
                ensureNetwork();
                try {
                    client.containers().containerCreate(onNetwork(new SpecGenerator().name(KEEPER).image(image)
                            .entrypoint(List.of("sleep")).command(List.of("infinity")).stopTimeout(0L)
                            .labels(Map.of(ROLE, "network-keeper"))));
                } catch (ApiException raced) {
                    if (raced.getCode() != 500 && raced.getCode() != 409) { // 5.4.2 answers 500 to a taken name
                        throw raced;
                    }
                }
                client.containers().containerStart(KEEPER);
                return;
            } catch (ApiException e) {
                // Another process created, started or removed it meanwhile: look again.
                if (attempt >= 5 || (e.getCode() != 404 && e.getCode() != 409 && e.getCode() != 500)) {
                    throw e;
                }
                try {
                    Thread.sleep(20L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** @return whether the keeper's container exists and runs */
    boolean keeperRuns() throws ApiException {
        try {
            var c = client.containers().containerInspect(KEEPER);
            return c.getState() != null && Boolean.TRUE.equals(c.getState().getRunning());
        } catch (ApiException e) {
            if (e.getCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    /** Removes the keeper when no sprite container is left on the network. */
    void removeKeeperIfUnused() throws ApiException {
        String filters = client.filters(Map.of("label", List.of(SpecLabels.MANAGED + "=" + SpecLabels.PUCK), "network", List.of(NETWORK)));
        List<ListContainer> left = client.containers().containerList(true, filters);
        if (left.stream().noneMatch(c -> c.getLabels() != null && c.getLabels().containsKey(SpecLabels.SPRITE))) {
            client.containers().containerDelete(KEEPER, true, true, 0, false);
        }
    }
}
