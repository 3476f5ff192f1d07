package labs.sandwich.puck.core.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import labs.sandwich.puck.api.RuntimeUnavailableException;
import labs.sandwich.puck.api.RuntimeUnavailableException.Candidate;
import labs.sandwich.puck.spi.Probe;
import labs.sandwich.puck.spi.RuntimeContext;
import labs.sandwich.puck.spi.SpriteRuntimeProvider;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks exactly one runtime, deterministically (STYLE 4.2): an explicit choice wins, then
 * {@code puck.runtime} / {@code PUCK_RUNTIME}, then the available provider with the highest
 * priority, then by name. A provider that cannot be loaded or whose probe throws is reported
 * as a candidate, never allowed to break discovery. When nothing is usable, one exception
 * lists every candidate with its reason and remedy.
 */
public final class Discovery {
    private static final Logger LOG = LoggerFactory.getLogger(Discovery.class);
    /** The SPI versions this engine can drive. */
    static final Set<String> SUPPORTED_SPI = Set.of(SpriteRuntimeProvider.SPI_VERSION);
    private static final String INSTALL = "Add a runtime module to the class path (e.g. labs.sandwich.puck:puck-podman), "
            + "or pass one explicitly: Puck.builder().runtime(...). See docs/errors.md#puck-runtime-001.";

    /**
     * The chosen provider.
     *
     * @param provider the provider
     * @param detail   what its probe found
     */
    public record Selected(SpriteRuntimeProvider provider, String detail) {}

    private Discovery() {}

    /**
     * @param loaders where to look, in order (duplicates by class are skipped)
     * @return every provider that could be instantiated, plus the failures of those that could not
     */
    static Loaded load(List<ClassLoader> loaders) {
        Map<String, SpriteRuntimeProvider> found = new LinkedHashMap<>();
        List<Candidate> broken = new ArrayList<>();
        for (ClassLoader loader : loaders) {
            Iterator<SpriteRuntimeProvider> it = ServiceLoader.load(SpriteRuntimeProvider.class, loader).iterator();
            while (true) {
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    SpriteRuntimeProvider p = it.next();
                    found.putIfAbsent(p.getClass().getName(), p);
                } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                    Throwable cause = e.getCause() == null ? e : e.getCause();
                    broken.add(new Candidate("(a provider that could not be loaded)", 0,
                            "the provider could not be loaded: " + e.getMessage() + " (" + cause + ").",
                            "Fix or remove the broken runtime module from the class path."));
                }
            }
        }
        return new Loaded(List.copyOf(found.values()), broken);
    }

    record Loaded(List<SpriteRuntimeProvider> providers, List<Candidate> broken) {}

    /**
     * @param explicitName a runtime name chosen by the user (builder, property or environment), or null
     * @param explicit     a provider instance passed to the builder, or null
     * @param loaders      where to look for providers
     * @param context      handed to each probe
     * @return the selected provider
     * @throws RuntimeUnavailableException when none can be used
     */
    public static Selected select(@Nullable String explicitName, @Nullable SpriteRuntimeProvider explicit,
            List<ClassLoader> loaders, RuntimeContext context) {
        if (explicit != null) {
            return require(List.of(explicit), List.of(), explicit.name(), context);
        }
        Loaded loaded = load(loaders);
        return require(loaded.providers(), loaded.broken(), explicitName, context);
    }

    private static Selected require(List<SpriteRuntimeProvider> providers, List<Candidate> broken,
            @Nullable String wanted, RuntimeContext context) {
        List<SpriteRuntimeProvider> ordered = providers.stream()
                .sorted(Comparator.comparingInt(SpriteRuntimeProvider::priority).reversed().thenComparing(SpriteRuntimeProvider::name))
                .toList();
        if (wanted != null) {
            List<SpriteRuntimeProvider> named = ordered.stream().filter(p -> p.name().equals(wanted)).toList();
            if (named.isEmpty()) {
                List<Candidate> all = new ArrayList<>(broken);
                ordered.forEach(p -> all.add(new Candidate(p.name(), p.priority(), "found, but not the runtime asked for", "Ask for \"" + p.name() + "\" instead.")));
                throw new RuntimeUnavailableException("No runtime named '" + wanted + "' was found.", all,
                        "Use one of the names listed"
                                + (ordered.isEmpty() ? "" : " (" + ordered.stream().map(SpriteRuntimeProvider::name).collect(Collectors.joining(", ")) + ")")
                                + ", or add the module that provides '" + wanted + "' to the class path. The choice comes from Puck.builder().runtime(..), -Dpuck.runtime or PUCK_RUNTIME.");
            }
            ordered = named;
        }
        List<Candidate> unavailable = new ArrayList<>(broken);
        List<Selected> available = new ArrayList<>();
        for (SpriteRuntimeProvider p : ordered) {
            Probe probe = probe(p, context);
            switch (probe) {
                case Probe.Available a -> available.add(new Selected(p, a.detail()));
                case Probe.Unavailable u -> unavailable.add(new Candidate(p.name(), p.priority(), u.reason(), u.remedy()));
            }
        }
        if (available.isEmpty()) {
            throw new RuntimeUnavailableException(
                    wanted == null ? "No sprite runtime is available." : "The runtime '" + wanted + "' is not available.",
                    unavailable, unavailable.isEmpty() ? INSTALL : "Apply the fix listed for the runtime you want, then retry (`puck doctor` checks them all).");
        }
        Selected chosen = available.getFirst();
        String others = java.util.stream.Stream.concat(
                        available.stream().skip(1).map(s -> s.provider().name() + " (available, priority " + s.provider().priority() + ")"),
                        unavailable.stream().map(c -> c.runtime() + " (unavailable: " + c.reason() + ")"))
                .collect(Collectors.joining(", "));
        LOG.info("Using runtime {} (priority {}): {}{}", chosen.provider().name(), chosen.provider().priority(), chosen.detail(),
                others.isEmpty() ? "" : "; also found: " + others);
        if (available.size() > 1 && wanted == null) {
            LOG.warn("Several runtimes are available ({}); chose {} by priority. Set PUCK_RUNTIME to choose.",
                    available.stream().map(s -> s.provider().name()).collect(Collectors.joining(", ")), chosen.provider().name());
        }
        return chosen;
    }

    private static Probe probe(SpriteRuntimeProvider p, RuntimeContext context) {
        try {
            if (!SUPPORTED_SPI.contains(p.spiVersion())) {
                return Probe.unavailable("it implements SPI version " + p.spiVersion() + " but this Puck supports " + SUPPORTED_SPI + ".",
                        "Use versions of puck-core and of the '" + p.name() + "' module from the same Puck release (import puck-bom).");
            }
            Probe result = p.probe(context);
            return result != null ? result : Probe.unavailable("its probe returned nothing.", "Report this to the runtime's authors.");
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("Probe of {} failed", p.name(), e);
            return Probe.unavailable("its probe failed: " + e, "Report this to the runtime's authors; meanwhile choose another runtime.");
        }
    }
}
