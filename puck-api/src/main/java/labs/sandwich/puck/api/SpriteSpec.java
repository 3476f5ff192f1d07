package labs.sandwich.puck.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a sprite should be. Immutable and validated when built: an invalid spec cannot exist,
 * so an {@link InvalidSpecException} comes before anything is sent to a runtime.
 *
 * <pre>{@code
 * SpriteSpec spec = SpriteSpec.named("media-bot")
 *         .withIdleTimeout(Duration.ofMinutes(15))
 *         .withEnv("TZ", "Europe/Paris");
 * }</pre>
 *
 * @param name        RFC 1123 label, 1 to 63 characters ({@link Names#requireSpriteName})
 * @param image       the image the sprite starts from
 * @param sleep       when an idle sprite pauses, hibernates and archives by itself ({@link SleepPolicy#DEFAULT})
 * @param resources   CPU, memory and storage limits
 * @param env         environment variables for every process in the sprite
 * @param ports       ports the sprite serves on (for readiness and exposure), each 1 to 65535, no duplicates
 * @param sshKeys     authorized SSH public keys, one key per entry
 * @param labels      free-form labels, kept with the sprite
 * @param readiness   when a started or woken sprite counts as ready
 * @param hooks       commands run around sleeping to disk ({@link SleepHooks#NONE})
 */
public record SpriteSpec(
        String name,
        ImageRef image,
        SleepPolicy sleep,
        Resources resources,
        Map<String, String> env,
        List<Integer> ports,
        List<String> sshKeys,
        Map<String, String> labels,
        Readiness readiness,
        SleepHooks hooks) {

    /** The idle timeout (time before hibernating) of a spec that does not set one. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = SleepPolicy.DEFAULT.hibernateAfter();
    private static final int MAX_ENTRIES = 256;

    /** Validates every component and makes defensive, ordered copies of the collections. */
    public SpriteSpec {
        Names.requireSpriteName(name);
        if (image == null) {
            throw new InvalidSpecException("image", "An image is required but was null.", "Use ImageRef.DEFAULT or ImageRef.of(\"...\").");
        }
        if (sleep == null) {
            throw new InvalidSpecException("sleep", "A sleep policy is required but was null.", "Use SleepPolicy.DEFAULT, or SleepPolicy.NEVER.");
        }
        if (resources == null) {
            throw new InvalidSpecException("resources", "Resources are required but were null.", "Use Resources.UNLIMITED.");
        }
        env = copyEntries("env", env, Names::requireEnvName);
        labels = copyEntries("labels", labels, Names::requireLabelKey);
        ports = copyPorts(ports);
        sshKeys = copySshKeys(sshKeys);
        if (readiness == null) {
            throw new InvalidSpecException("readiness", "Readiness is required but was null.", "Use Readiness.NONE.");
        }
        if (hooks == null) {
            throw new InvalidSpecException("hooks", "Sleep hooks are required but were null.", "Use SleepHooks.NONE.");
        }
    }

    /**
     * A spec with every default: the base image, {@link SleepPolicy#DEFAULT} (pause after 30 s,
     * hibernate after 15 min), no limits, no hooks.
     *
     * @param name the sprite's name
     * @return the spec
     * @throws InvalidSpecException if the name is invalid
     */
    public static SpriteSpec named(String name) {
        return new SpriteSpec(name, ImageRef.DEFAULT, SleepPolicy.DEFAULT, Resources.UNLIMITED,
                Map.of(), List.of(), List.of(), Map.of(), Readiness.NONE, SleepHooks.NONE);
    }

    /**
     * @param name the sprite's name
     * @return a builder holding the defaults of {@link #named(String)}
     */
    public static Builder builder(String name) {
        return named(name).toBuilder();
    }

    /** @return a builder holding this spec's values */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * @param name another name
     * @return a copy with that name
     */
    public SpriteSpec withName(String name) {
        return toBuilder().name(name).build();
    }

    /**
     * @param image another image
     * @return a copy with that image
     */
    public SpriteSpec withImage(ImageRef image) {
        return toBuilder().image(image).build();
    }

    /**
     * @param reference an image reference
     * @return a copy with that image
     */
    public SpriteSpec withImage(String reference) {
        return withImage(ImageRef.of(reference));
    }

    /** @return the idle time before the sprite hibernates ({@code sleep().hibernateAfter()}); zero for never */
    public Duration idleTimeout() {
        return sleep.hibernateAfter();
    }

    /**
     * Sets when the sprite hibernates; a shorter pause tier is kept, tiers that would no longer
     * come in order are switched off.
     *
     * @param timeout idle time before hibernation; {@link Duration#ZERO} for never sleeping at all
     * @return a copy with that idle timeout
     */
    public SpriteSpec withIdleTimeout(Duration timeout) {
        return toBuilder().idleTimeout(timeout).build();
    }

    /**
     * @param sleep when the sprite pauses, hibernates and archives by itself
     * @return a copy with that policy
     */
    public SpriteSpec withSleep(SleepPolicy sleep) {
        return toBuilder().sleep(sleep).build();
    }

    /**
     * @param hooks commands run around sleeping to disk
     * @return a copy with those hooks
     */
    public SpriteSpec withHooks(SleepHooks hooks) {
        return toBuilder().hooks(hooks).build();
    }

    /**
     * @param resources limits
     * @return a copy with those limits
     */
    public SpriteSpec withResources(Resources resources) {
        return toBuilder().resources(resources).build();
    }

    /**
     * @param key   variable name
     * @param value its value
     * @return a copy with that environment variable added or replaced
     */
    public SpriteSpec withEnv(String key, String value) {
        return toBuilder().env(key, value).build();
    }

    /**
     * @param ports the sprite's ports
     * @return a copy with those ports
     */
    public SpriteSpec withPorts(Integer... ports) {
        return toBuilder().ports(List.of(ports)).build();
    }

    /**
     * @param key   label key
     * @param value label value
     * @return a copy with that label added or replaced
     */
    public SpriteSpec withLabel(String key, String value) {
        return toBuilder().label(key, value).build();
    }

    /**
     * @param key an authorized SSH public key, e.g. {@code ssh-ed25519 AAAA... me@host}
     * @return a copy with that key added
     */
    public SpriteSpec withSshKey(String key) {
        return toBuilder().sshKey(key).build();
    }

    /**
     * @param readiness when the sprite counts as ready
     * @return a copy with that readiness check
     */
    public SpriteSpec withReadiness(Readiness readiness) {
        return toBuilder().readiness(readiness).build();
    }

    /**
     * A mutable builder; {@link #build()} validates. Not thread-safe.
     */
    public static final class Builder {
        private String name;
        private ImageRef image;
        private SleepPolicy sleep;
        private Resources resources;
        private final Map<String, String> env;
        private final List<Integer> ports;
        private final List<String> sshKeys;
        private final Map<String, String> labels;
        private Readiness readiness;
        private SleepHooks hooks;

        private Builder(SpriteSpec from) {
            name = from.name;
            image = from.image;
            sleep = from.sleep;
            resources = from.resources;
            env = new LinkedHashMap<>(from.env);
            ports = new ArrayList<>(from.ports);
            sshKeys = new ArrayList<>(from.sshKeys);
            labels = new LinkedHashMap<>(from.labels);
            readiness = from.readiness;
            hooks = from.hooks;
        }

        /** @param name the sprite's name @return this builder */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** @param image the image @return this builder */
        public Builder image(ImageRef image) {
            this.image = image;
            return this;
        }

        /**
         * Sets when the sprite hibernates, as {@link SpriteSpec#withIdleTimeout} does.
         *
         * @param timeout idle time before hibernation; zero for never sleeping at all
         * @return this builder
         */
        public Builder idleTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.compareTo(SleepPolicy.MAX) > 0) {
                throw new InvalidSpecException("idleTimeout", "Invalid idle timeout " + timeout + ".",
                        "Use a duration between zero (never sleep) and 365 days, e.g. Duration.ofMinutes(15).");
            }
            if (timeout.isZero()) {
                this.sleep = SleepPolicy.NEVER;
                return this;
            }
            SleepPolicy current = sleep == null ? SleepPolicy.DEFAULT : sleep;
            this.sleep = new SleepPolicy(
                    current.pauseAfter().compareTo(timeout) < 0 ? current.pauseAfter() : Duration.ZERO,
                    timeout,
                    current.archiveAfter().compareTo(timeout) > 0 ? current.archiveAfter() : Duration.ZERO);
            return this;
        }

        /** @param sleep when the sprite pauses, hibernates and archives by itself @return this builder */
        public Builder sleep(SleepPolicy sleep) {
            this.sleep = sleep;
            return this;
        }

        /** @param hooks commands run around sleeping to disk @return this builder */
        public Builder hooks(SleepHooks hooks) {
            this.hooks = hooks;
            return this;
        }

        /** @param resources limits @return this builder */
        public Builder resources(Resources resources) {
            this.resources = resources;
            return this;
        }

        /** @param cpus CPU cores, 0 for no limit @return this builder */
        public Builder cpus(double cpus) {
            this.resources = resources.withCpus(cpus);
            return this;
        }

        /** @param bytes memory limit, 0 for no limit @return this builder */
        public Builder memoryBytes(long bytes) {
            this.resources = resources.withMemoryBytes(bytes);
            return this;
        }

        /** @param key variable name @param value its value @return this builder */
        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        /** @param env variables to add or replace @return this builder */
        public Builder env(Map<String, String> env) {
            this.env.putAll(env);
            return this;
        }

        /** @param port a port to add @return this builder */
        public Builder port(int port) {
            ports.add(port);
            return this;
        }

        /** @param ports the ports, replacing any set before @return this builder */
        public Builder ports(List<Integer> ports) {
            this.ports.clear();
            this.ports.addAll(ports);
            return this;
        }

        /** @param key an authorized SSH public key to add @return this builder */
        public Builder sshKey(String key) {
            sshKeys.add(key);
            return this;
        }

        /** @param key label key @param value label value @return this builder */
        public Builder label(String key, String value) {
            labels.put(key, value);
            return this;
        }

        /** @param readiness when the sprite counts as ready @return this builder */
        public Builder readiness(Readiness readiness) {
            this.readiness = readiness;
            return this;
        }

        /**
         * @return the validated spec
         * @throws InvalidSpecException if any value is invalid
         */
        public SpriteSpec build() {
            return new SpriteSpec(name, image, sleep, resources, env, ports, sshKeys, labels, readiness, hooks);
        }
    }

    static int requirePort(String field, int port) {
        if (port < 1 || port > 65535) {
            throw new InvalidSpecException(field, "Invalid port " + port + ".", "Use a port between 1 and 65535.");
        }
        return port;
    }

    private interface KeyRule {
        String check(String key);
    }

    private static Map<String, String> copyEntries(String field, Map<String, String> in, KeyRule rule) {
        if (in == null) {
            throw new InvalidSpecException(field, field + " is required but was null.", "Pass an empty map instead.");
        }
        if (in.size() > MAX_ENTRIES) {
            throw new InvalidSpecException(field, field + " has " + in.size() + " entries.", "Use at most " + MAX_ENTRIES + ".");
        }
        Map<String, String> out = new TreeMap<>();
        in.forEach((k, v) -> out.put(rule.check(k), Names.requireText(field + "." + k, v)));
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(out));
    }

    private static List<Integer> copyPorts(List<Integer> in) {
        if (in == null) {
            throw new InvalidSpecException("ports", "Ports are required but were null.", "Pass an empty list instead.");
        }
        Set<Integer> seen = new HashSet<>();
        for (Integer p : in) {
            if (p == null) {
                throw new InvalidSpecException("ports", "A port was null.", "Use ports between 1 and 65535.");
            }
            requirePort("ports", p);
            if (!seen.add(p)) {
                throw new InvalidSpecException("ports", "Port " + p + " is listed twice.", "List each port once.");
            }
        }
        return List.copyOf(in);
    }

    private static List<String> copySshKeys(List<String> in) {
        if (in == null) {
            throw new InvalidSpecException("sshKeys", "SSH keys are required but were null.", "Pass an empty list instead.");
        }
        for (String k : in) {
            if (k == null || !k.matches("(ssh-|ecdsa-|sk-)[A-Za-z0-9@.-]+ [A-Za-z0-9+/=]+( [^\\n\\r\\x00]*)?")) {
                throw new InvalidSpecException("sshKeys", "Not an SSH public key: '" + Names.printable(k) + "'.",
                        "Use one public key per entry, as in ~/.ssh/id_ed25519.pub: \"ssh-ed25519 AAAA... comment\".");
            }
        }
        return List.copyOf(in);
    }
}
