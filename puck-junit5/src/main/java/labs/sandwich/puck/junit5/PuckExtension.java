package labs.sandwich.puck.junit5;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteNotFoundException;
import labs.sandwich.puck.api.SpriteSpec;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;

/**
 * The JUnit 5 extension behind {@link PuckTest}: fills {@link SpriteInstance} fields and
 * parameters, resolves {@code Puck} parameters, restores fixture snapshots before each test and
 * deletes what it made.
 *
 * <p>Declarative: annotate the class with {@link PuckTest}. Programmatic, for settings in code:
 * <pre>{@code
 * @RegisterExtension
 * static PuckExtension puck = PuckExtension.builder().runtime("podman")
 *         .config("podman.socket", "/run/podman/podman.sock").disabledWithoutRuntime(true).build();
 * }</pre>
 *
 * <h2>Session and sweep</h2>
 * A test session (one JUnit launcher run in a JVM) opens one {@code Puck} per setting on a store
 * of its own, {@code <dir>/<session-id>/puck-<n>/puck.db}, where {@code <dir>} is the
 * {@code puck.junit5.dir} system property, else {@code PUCK_JUNIT5_DIR}, else
 * {@code <java.io.tmpdir>/puck-junit5}. The session holds an exclusive file lock in its directory
 * for its whole life; the operating system drops it when the JVM ends, however it ends. Every
 * sprite is labelled {@code puck.test-session=<session-id>}. At its start and its end a session
 * sweeps every other session directory whose lock it can take (its JVM is gone): it opens that
 * store, deletes (with volumes and snapshots) each sprite that carries that session's label, and
 * removes the directory. Sprites without the label are never touched. At its end a session also
 * deletes its own sprites.
 *
 * <h2>Parallel execution</h2>
 * Thread-safe. Each test gets its own sprites; tests of a class that share a static fixture
 * sprite take a lock on it for the test's duration, so its reset and the test never overlap
 * another test's use of it. A static sprite without a fixture is shared without a lock.
 */
public final class PuckExtension implements ExecutionCondition, BeforeAllCallback, AfterAllCallback, BeforeEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(PuckExtension.class);
    /** The label each sprite carries: the id of the session that made it. */
    public static final String SESSION_LABEL = "puck.test-session";

    private final @Nullable Settings explicit;

    /** Used by {@link PuckTest}; in code, use {@link #builder()}. */
    public PuckExtension() {
        this.explicit = null;
    }

    private PuckExtension(Settings settings) {
        this.explicit = settings;
    }

    /** @return a builder for a programmatically registered extension */
    public static Builder builder() {
        return new Builder();
    }

    // ---- condition ----

    /** Disables the container when {@code disabledWithoutRuntime} is set and no runtime can be used, with the probe's reason. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (context.getTestClass().isEmpty()) {
            return ConditionEvaluationResult.enabled("no test class");
        }
        Settings settings = settings(context);
        if (!settings.disabledWithoutRuntime()) {
            return ConditionEvaluationResult.enabled("disabledWithoutRuntime is off");
        }
        Session.Opened opened = session(context).open(settings.key());
        return opened.failure() == null ? ConditionEvaluationResult.enabled("runtime " + opened.puck().runtimeName() + " available")
                : ConditionEvaluationResult.disabled("No sprite runtime: " + opened.failure().getMessage());
    }

    // ---- class level: static sprites ----

    @Override
    public void beforeAll(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        List<Field> fields = annotatedFields(testClass, true);
        if (fields.isEmpty()) {
            return;
        }
        Puck puck = puck(context);
        List<Shared> shared = new ArrayList<>();
        ExtensionContext.Store store = context.getStore(NS);
        store.put(sharedKey(testClass), shared);
        for (Field f : fields) {
            SpriteInstance a = f.getAnnotation(SpriteInstance.class);
            Made made = make(context, puck, a, nameOf(a, f.getName(), "field " + where(f)), "field " + where(f), true);
            Shared s = new Shared(made);
            shared.add(s);
            store.put(new Object(), s); // closed (deleted) when the class is done
            set(f, null, made.sprite());
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        for (Field f : annotatedFields(context.getRequiredTestClass(), true)) {
            set(f, null, null);
        }
    }

    // ---- test level: instance sprites and resets ----

    @Override
    public void beforeEach(ExtensionContext context) {
        List<Shared> shared = new ArrayList<>();
        for (Optional<ExtensionContext> c = context.getParent(); c.isPresent(); c = c.get().getParent()) {
            ExtensionContext parent = c.get();
            parent.getTestClass().filter(k -> parent.getElement().filter(k::equals).isPresent()).ifPresent(k -> {
                @SuppressWarnings("unchecked")
                List<Shared> own = parent.getStore(NS).get(sharedKey(k), List.class);
                if (own != null) {
                    shared.addAll(own);
                }
            });
        }
        shared.sort(Comparator.comparing(s -> s.made.sprite().name())); // one order: two classes never wait on each other
        Held held = new Held();
        context.getStore(NS).put(new Object(), held); // releases the locks when the test is done, even if it failed here
        for (Shared s : shared) {
            if (s.made.snapshot() == null) {
                continue; // a plain shared sprite: the tests share it as they like, concurrently
            }
            s.lock.acquireUninterruptibly();
            held.locks.add(s.lock);
            if (!s.pristine.getAndSet(false)) {
                s.made.sprite().reset(s.made.snapshot());
            }
        }
        Puck puck = null;
        for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
            for (Field f : annotatedFields(instance.getClass(), false)) {
                puck = puck == null ? puck(context) : puck;
                SpriteInstance a = f.getAnnotation(SpriteInstance.class);
                Made made = make(context, puck, a, nameOf(a, f.getName(), "field " + where(f)), "field " + where(f), false);
                context.getStore(NS).put(new Object(), made);
                set(f, instance, made.sprite());
            }
        }
    }

    // ---- parameters ----

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Puck.class || parameter.isAnnotated(SpriteInstance.class);
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Parameter p = parameter.getParameter();
        if (p.getType() == Puck.class) {
            return puck(context);
        }
        String where = "parameter " + p.getName() + " of " + p.getDeclaringExecutable().getDeclaringClass().getSimpleName() + "."
                + p.getDeclaringExecutable().getName();
        if (p.getType() != Sprite.class) {
            throw new ParameterResolutionException(where + " is annotated @SpriteInstance but is a " + p.getType().getName() + ".",
                    declaration(where + " is annotated @SpriteInstance but its type is " + p.getType().getName() + ".", "Declare it as labs.sandwich.puck.api.Sprite."));
        }
        SpriteInstance a = parameter.findAnnotation(SpriteInstance.class).orElseThrow();
        Made made = make(context, puck(context), a, nameOf(a, p.getName(), where), where, false);
        context.getStore(NS).put(new Object(), made);
        return made.sprite();
    }

    // ---- making sprites ----

    /** A sprite the extension made, with its fixture's snapshot if it has one; closing deletes both. */
    record Made(Sprite sprite, @Nullable Snapshot snapshot) implements AutoCloseable {
        @Override
        public void close() {
            try {
                if (snapshot != null) {
                    sprite.deleteSnapshot(snapshot);
                }
                sprite.delete(DeletePolicy.PURGE);
            } catch (SpriteNotFoundException deletedByTheTest) {
                // nothing left to delete
            }
        }
    }

    /** A static sprite shared by a class's tests; with a fixture, one test at a time, reset before each but the first. */
    static final class Shared implements AutoCloseable {
        final Made made;
        final Semaphore lock = new Semaphore(1);
        final AtomicBoolean pristine = new AtomicBoolean(true);

        Shared(Made made) {
            this.made = made;
        }

        @Override
        public void close() {
            made.close();
        }
    }

    /** The locks a test holds. */
    static final class Held implements AutoCloseable {
        final List<Semaphore> locks = new ArrayList<>();

        @Override
        public void close() {
            locks.forEach(Semaphore::release);
        }
    }

    /** A fixture's seeded sprite for a class's per-test sprites, which are forks of its snapshot. */
    record Template(Made made) implements AutoCloseable {
        @Override
        public void close() {
            made.close();
        }
    }

    private Made make(ExtensionContext context, Puck puck, SpriteInstance a, String prefix, String where, boolean shared) {
        Session session = session(context);
        if (a.fixture() == SpriteFixture.None.class) {
            return new Made(puck.create(spec(session, prefix, a, where)), null);
        }
        if (shared) {
            return seeded(session, puck, a, prefix, where);
        }
        // Per-test sprites with a fixture are forks of one seeded sprite per class (and annotation).
        ExtensionContext classContext = classContext(context);
        Template template = classContext.getStore(NS).getOrComputeIfAbsent(List.of("template", a, prefix),
                k -> new Template(seeded(session, puck, a, prefix + "-t", where)), Template.class);
        String name = session.name(prefix);
        Sprite fork = template.made().sprite().fork(Objects.requireNonNull(template.made().snapshot()), name);
        return new Made(fork, null);
    }

    private Made seeded(Session session, Puck puck, SpriteInstance a, String prefix, String where) {
        SpriteFixture fixture = fixture(a.fixture(), where);
        SpriteSpec wanted = spec(session, prefix, a, where);
        SpriteSpec spec;
        try {
            spec = fixture.spec(puck, wanted);
        } catch (Throwable t) {
            throw fixtureFailed(a, wanted.name(), where, "spec()", t, "Fix the fixture's spec(); no sprite was made.");
        }
        if (spec == null || !spec.name().equals(wanted.name()) || !session.id().equals(spec.labels().get(SESSION_LABEL))) {
            throw declaration("Fixture " + a.fixture().getName() + " (for " + where + ") changed the sprite's name or removed its "
                    + SESSION_LABEL + " label in spec().", "Return a copy of the given spec with your changes (spec.withImage(...)...), keeping its name and labels.");
        }
        Sprite sprite = puck.create(spec);
        try {
            fixture.seed(sprite);
        } catch (Throwable t) {
            try {
                sprite.delete(DeletePolicy.PURGE);
            } catch (RuntimeException e) {
                t.addSuppressed(e);
            }
            throw fixtureFailed(a, sprite.name(), where, "seed()", t, "Fix the fixture's seed(); the sprite was deleted. The cause is attached.");
        }
        try {
            return new Made(sprite, sprite.snapshotForReset("fixture"));
        } catch (RuntimeException e) {
            try {
                sprite.delete(DeletePolicy.PURGE);
            } catch (RuntimeException d) {
                e.addSuppressed(d);
            }
            throw e;
        }
    }

    private static SpriteSpec spec(Session session, String prefix, SpriteInstance a, String where) {
        SpriteSpec spec = SpriteSpec.named(session.name(prefix)).withLabel(SESSION_LABEL, session.id());
        return a.image().isEmpty() ? spec : spec.withImage(a.image());
    }

    private static PuckTestException fixtureFailed(SpriteInstance a, String sprite, String where, String step, Throwable t, String remedy) {
        if (t instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new PuckTestException(PuckTestException.FIXTURE, "Fixture " + a.fixture().getName() + " failed in " + step + " for sprite '" + sprite + "' ("
                + where + "): " + t, remedy, sprite, t);
    }

    private static SpriteFixture fixture(Class<? extends SpriteFixture> type, String where) {
        try {
            var constructor = type.getDeclaredConstructor();
            constructor.setAccessible(true);
            return constructor.newInstance();
        } catch (ReflectiveOperationException | RuntimeException e) {
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite ? ite.getCause() : e;
            throw declaration("Fixture " + type.getName() + " (for " + where + ") cannot be made: " + cause + ".",
                    "Give it a no-argument constructor that does not throw; a nested fixture class must be static.");
        }
    }

    // ---- declarations ----

    private static List<Field> annotatedFields(Class<?> type, boolean statics) {
        List<Field> out = ReflectionSupport.findFields(type, f -> f.isAnnotationPresent(SpriteInstance.class) && Modifier.isStatic(f.getModifiers()) == statics,
                HierarchyTraversalMode.TOP_DOWN);
        for (Field f : out) {
            if (f.getType() != Sprite.class) {
                throw declaration("Field " + where(f) + " is annotated @SpriteInstance but its type is " + f.getType().getName() + ".",
                        "Declare it as labs.sandwich.puck.api.Sprite (or inject a Puck as a parameter).");
            }
            if (Modifier.isFinal(f.getModifiers())) {
                throw declaration("Field " + where(f) + " is annotated @SpriteInstance but is final.", "Remove final: the extension assigns it.");
            }
        }
        return out;
    }

    private static String nameOf(SpriteInstance a, String declared, String where) {
        String prefix = a.name().isEmpty() ? declared.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "") : a.name();
        if (prefix.isEmpty()) {
            prefix = "sprite";
        }
        if (prefix.length() > 30) {
            if (!a.name().isEmpty()) {
                throw declaration("@SpriteInstance(name = \"" + a.name() + "\") on " + where + " is longer than 30 characters.", "Use a shorter prefix.");
            }
            prefix = prefix.substring(0, 30).replaceAll("-+$", "");
        }
        if (!prefix.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?")) {
            throw declaration("@SpriteInstance(name = \"" + a.name() + "\") on " + where + " is not a valid name prefix.",
                    "Use lower-case letters, digits and '-', starting and ending with a letter or digit (an RFC 1123 label).");
        }
        return prefix;
    }

    private static String where(Field f) {
        return f.getDeclaringClass().getSimpleName() + "." + f.getName();
    }

    private static PuckTestException declaration(String problem, String remedy) {
        return new PuckTestException(PuckTestException.DECLARATION, problem, remedy, null, null);
    }

    private static void set(Field f, @Nullable Object target, @Nullable Sprite value) {
        try {
            f.setAccessible(true);
            f.set(target, value);
        } catch (IllegalAccessException | RuntimeException e) {
            throw declaration("Field " + where(f) + " cannot be set: " + e + ".", "Make it accessible to the extension (not final; open the package to org.junit.platform.commons on the module path).");
        }
    }

    private static Object sharedKey(Class<?> testClass) {
        return "shared:" + testClass.getName();
    }

    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext c = context;
        while (c.getTestMethod().isPresent() && c.getParent().isPresent()) {
            c = c.getParent().get();
        }
        return c;
    }

    // ---- settings and session ----

    private Puck puck(ExtensionContext context) {
        Session.Opened opened = session(context).open(settings(context).key());
        if (opened.failure() != null) {
            throw opened.failure();
        }
        return opened.puck();
    }

    private static Session session(ExtensionContext context) {
        return context.getRoot().getStore(NS).getOrComputeIfAbsent(Session.class, k -> Session.start(), Session.class);
    }

    private Settings settings(ExtensionContext context) {
        if (explicit != null) {
            return explicit;
        }
        for (Class<?> c = context.getRequiredTestClass(); c != null; c = c.getEnclosingClass()) {
            PuckTest t = c.getAnnotation(PuckTest.class);
            if (t != null) {
                return new Settings(t.runtime(), Map.of(), t.disabledWithoutRuntime());
            }
        }
        return new Settings("", Map.of(), false);
    }

    /** The extension's settings. */
    record Settings(String runtime, Map<String, String> config, boolean disabledWithoutRuntime) {
        Session.Key key() {
            return new Session.Key(runtime, config);
        }
    }

    /** Configures a {@link PuckExtension} for {@code @RegisterExtension}. Not thread-safe. */
    public static final class Builder {
        private String runtime = "";
        private final Map<String, String> config = new LinkedHashMap<>();
        private boolean disabledWithoutRuntime;

        private Builder() {}

        /**
         * @param name the runtime, e.g. {@code podman}; default: discovery
         * @return this builder
         */
        public Builder runtime(String name) {
            this.runtime = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * @param key   a Puck setting, e.g. {@code podman.socket}
         * @param value its value
         * @return this builder
         */
        public Builder config(String key, String value) {
            config.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * @param disabled whether tests are skipped, with the probe's reason, when no runtime can be used (default: they fail)
         * @return this builder
         */
        public Builder disabledWithoutRuntime(boolean disabled) {
            this.disabledWithoutRuntime = disabled;
            return this;
        }

        /** @return the extension */
        public PuckExtension build() {
            return new PuckExtension(new Settings(runtime, Map.copyOf(config), disabledWithoutRuntime));
        }
    }
}
