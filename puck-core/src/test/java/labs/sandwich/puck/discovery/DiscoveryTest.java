package labs.sandwich.puck.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.RuntimeUnavailableException;
import labs.sandwich.puck.api.RuntimeUnavailableException.Candidate;
import labs.sandwich.puck.testkit.InMemorySpriteRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiscoveryTest {
    @TempDir
    Path tmp;

    /** A class loader whose only service file lists the given providers. */
    private ClassLoader loaderWith(Class<?>... providers) throws IOException {
        Path root = Files.createDirectories(tmp.resolve("cp-" + System.nanoTime()));
        Path services = Files.createDirectories(root.resolve("META-INF/services"));
        Files.writeString(services.resolve("labs.sandwich.puck.spi.SpriteRuntimeProvider"),
                Arrays.stream(providers).map(Class::getName).collect(Collectors.joining("\n", "", "\n")));
        // Parent: the platform loader plus the test classes, so provider classes resolve but no other service file is seen.
        return new URLClassLoader(new URL[] {root.toUri().toURL()}, getClass().getClassLoader()) {
            @Override
            public java.util.Enumeration<URL> getResources(String name) throws IOException {
                return name.startsWith("META-INF/services/") ? findResources(name) : super.getResources(name);
            }
        };
    }

    private Puck open(ClassLoader loader) {
        return Puck.builder().classLoader(loader).store(tmp.resolve("puck.db")).build();
    }

    @Test
    void noProviderAtAllSaysHowToAddOne() throws IOException {
        ClassLoader empty = loaderWith();
        assertThatThrownBy(() -> open(empty))
                .isInstanceOfSatisfying(RuntimeUnavailableException.class, e -> {
                    assertThat(e.candidates()).isEmpty();
                    assertThat(e.code()).isEqualTo("PUCK-RUNTIME-001");
                    assertThat(e.getMessage()).contains("No sprite runtime is available", "puck-podman", "Puck.builder().runtime(");
                });
        assertThat(tmp.resolve("puck.db")).as("a failed discovery creates no store").doesNotExist();
    }

    @Test
    void theClassPathOfThisModuleHasNoRuntimeSoOpenFailsWithTheFix() {
        // InMemorySpriteRuntime is on this class path but must never be registered for discovery.
        assertThatThrownBy(Puck::open)
                .isInstanceOf(RuntimeUnavailableException.class)
                .hasMessageContaining("No sprite runtime is available")
                .hasMessageContaining("Fix:");
    }

    @Test
    void highestPriorityAvailableWins() throws IOException {
        try (Puck puck = open(loaderWith(TestProviders.Low.class, TestProviders.High.class, TestProviders.Missing.class))) {
            assertThat(puck.runtimeName()).isEqualTo("in-memory");
            assertThat(puck.toString()).contains("in-memory");
        }
    }

    @Test
    void nameBreaksPriorityTies() throws IOException {
        ClassLoader loader = loaderWith(TestProviders.Other.class, TestProviders.Low.class);
        var chosen = labs.sandwich.puck.core.internal.Discovery.select(null, null, java.util.List.of(loader), context());
        assertThat(chosen.provider().name()).isEqualTo("low");
        assertThat(chosen.detail()).isEqualTo("low is here");
    }

    @Test
    void explicitNameBeatsPriority() throws IOException {
        ClassLoader loader = loaderWith(TestProviders.Low.class, TestProviders.High.class);
        var chosen = labs.sandwich.puck.core.internal.Discovery.select("low", null, java.util.List.of(loader), context());
        assertThat(chosen.provider().name()).isEqualTo("low");
    }

    @Test
    void unknownNameListsWhatExists() throws IOException {
        ClassLoader loader = loaderWith(TestProviders.Low.class, TestProviders.High.class);
        assertThatThrownBy(() -> Puck.builder().classLoader(loader).runtime("podmn").store(tmp.resolve("puck.db")).build())
                .isInstanceOfSatisfying(RuntimeUnavailableException.class, e -> {
                    assertThat(e.getMessage()).contains("No runtime named 'podmn'", "high, low");
                    assertThat(e.candidates()).extracting(Candidate::runtime).containsExactly("high", "low");
                });
    }

    @Test
    void everyUnavailableCandidateIsListedWithReasonAndRemedy() throws IOException {
        ClassLoader loader = loaderWith(TestProviders.Missing.class, TestProviders.Throwing.class, TestProviders.Future.class, TestProviders.Broken.class);
        assertThatThrownBy(() -> open(loader))
                .isInstanceOfSatisfying(RuntimeUnavailableException.class, e -> {
                    assertThat(e.candidates()).hasSize(4);
                    assertThat(e.getMessage())
                            .contains("missing: the missing socket is absent. Fix: Start the missing service.")
                            .contains("throwing: its probe failed: java.lang.IllegalStateException: probe exploded")
                            .contains("future: it implements SPI version 99")
                            .contains("could not be loaded", "constructor exploded");
                });
    }

    @Test
    void brokenProviderDoesNotHideAWorkingOne() throws IOException {
        try (Puck puck = open(loaderWith(TestProviders.Broken.class, TestProviders.Throwing.class, TestProviders.Low.class))) {
            assertThat(puck.runtimeName()).isEqualTo("in-memory");
        }
    }

    @Test
    void explicitUnavailableProviderIsReported() {
        assertThatThrownBy(() -> Puck.builder().runtime(new TestProviders.Missing()).store(tmp.resolve("puck.db")).build())
                .isInstanceOf(RuntimeUnavailableException.class)
                .hasMessageContaining("The runtime 'missing' is not available")
                .hasMessageContaining("Start the missing service.");
    }

    @Test
    void systemPropertyChoosesTheRuntime() throws IOException {
        ClassLoader loader = loaderWith(TestProviders.Low.class, TestProviders.High.class);
        System.setProperty("puck.runtime", "nope");
        try {
            assertThatThrownBy(() -> open(loader)).hasMessageContaining("No runtime named 'nope'");
        } finally {
            System.clearProperty("puck.runtime");
        }
    }

    @Test
    void aRuntimeInstanceSkipsDiscovery() {
        try (InMemorySpriteRuntime rt = new InMemorySpriteRuntime();
                Puck puck = Puck.builder().runtime(rt).store(tmp.resolve("puck.db")).build()) {
            assertThat(puck.runtimeName()).isEqualTo("in-memory");
            assertThat(puck.storeFile()).exists();
        }
    }

    private labs.sandwich.puck.spi.RuntimeContext context() {
        var config = labs.sandwich.puck.core.internal.Config.system(java.util.Map.of());
        return new labs.sandwich.puck.core.internal.EngineContext(java.time.Clock.systemUTC(), tmp.resolve("data"), config,
                () -> { throw new AssertionError("probes must not open the store"); }, new labs.sandwich.puck.core.internal.EventBus());
    }
}
