package labs.sandwich.puck.core.internal;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Settings, looked up in the builder's values, then system properties {@code puck.<key>},
 * then environment variables {@code PUCK_<KEY>}: the order of {@code RuntimeContext#config}.
 */
public final class Config {
    private final Map<String, String> explicit;
    private final UnaryOperator<String> properties;
    private final UnaryOperator<String> environment;

    /**
     * @param explicit    values given to the builder
     * @param properties  system property lookup (System::getProperty in production)
     * @param environment environment lookup (System::getenv in production)
     */
    public Config(Map<String, String> explicit, UnaryOperator<String> properties, UnaryOperator<String> environment) {
        this.explicit = Map.copyOf(explicit);
        this.properties = properties;
        this.environment = environment;
    }

    /** @param explicit values given to the builder @return a config over the real properties and environment */
    public static Config system(Map<String, String> explicit) {
        return new Config(explicit, System::getProperty, System::getenv);
    }

    /** @param key a dotted key such as {@code podman.socket} @return its value, if set anywhere */
    public Optional<String> get(String key) {
        String v = explicit.get(key);
        if (v == null) {
            v = properties.apply("puck." + key);
        }
        if (v == null) {
            v = environment.apply(envName(key));
        }
        return Optional.ofNullable(v).filter(s -> !s.isBlank());
    }

    /** @param key a dotted key @return the environment variable name for it, e.g. {@code PUCK_PODMAN_SOCKET} */
    public static String envName(String key) {
        return "PUCK_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
