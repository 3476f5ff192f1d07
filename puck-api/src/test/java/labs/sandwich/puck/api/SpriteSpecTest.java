package labs.sandwich.puck.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SpriteSpecTest {
    @Test
    void defaults() {
        SpriteSpec s = SpriteSpec.named("media-bot");
        assertThat(s.image()).isEqualTo(ImageRef.DEFAULT);
        assertThat(s.idleTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(s.resources()).isEqualTo(Resources.UNLIMITED);
        assertThat(s.readiness()).isEqualTo(Readiness.NONE);
        assertThat(s.env()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "media-bot", "x1", "123", "a-b-c-d"})
    void validNames(String name) {
        assertThat(SpriteSpec.named(name).name()).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Media", "media_bot", "-lead", "trail-", "a..b", "..", "../etc", "a;rm -rf /", "$(id)", "a b", "a/b", "bot\n", "é"})
    void invalidNamesAreRefusedWithTheRule(String name) {
        assertThatThrownBy(() -> SpriteSpec.named(name))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> {
                    assertThat(e.field()).isEqualTo("name");
                    assertThat(e.code()).isEqualTo("PUCK-SPEC-001");
                    assertThat(e.getMessage()).contains("RFC 1123").doesNotContain("\n");
                });
    }

    @Test
    void nameProblemsAreNamed() {
        assertThatThrownBy(() -> SpriteSpec.named("a".repeat(64))).hasMessageContaining("64 characters, more than 63");
        assertThat(SpriteSpec.named("a".repeat(63)).name()).hasSize(63);
        assertThatThrownBy(() -> SpriteSpec.named("Bot")).hasMessageContaining("upper-case");
        assertThatThrownBy(() -> SpriteSpec.named("bot-")).hasMessageContaining("starts or ends with '-'");
        assertThatThrownBy(() -> SpriteSpec.named("")).hasMessageContaining("was empty");
        assertThatThrownBy(() -> SpriteSpec.named(null)).isInstanceOf(InvalidSpecException.class);
    }

    @Test
    void idleTimeoutMustNotBeNegativeOrAbsurd() {
        SpriteSpec s = SpriteSpec.named("x");
        assertThatThrownBy(() -> s.withIdleTimeout(Duration.ofSeconds(-1)))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("idleTimeout"));
        assertThatThrownBy(() -> s.withIdleTimeout(Duration.ofDays(366))).isInstanceOf(InvalidSpecException.class);
        assertThat(s.withIdleTimeout(Duration.ZERO).idleTimeout()).isZero();
        assertThat(s.withIdleTimeout(Duration.ZERO).sleep()).isEqualTo(SleepPolicy.NEVER);
    }

    @Test
    void sleepTiersDefaultToPauseThenHibernateAndMustComeInOrder() {
        SpriteSpec s = SpriteSpec.named("x");
        assertThat(s.sleep()).isEqualTo(new SleepPolicy(Duration.ofSeconds(30), Duration.ofMinutes(15), Duration.ZERO));
        assertThat(s.idleTimeout()).isEqualTo(Duration.ofMinutes(15));
        // A shorter idle timeout than the pause tier switches the pause tier off rather than failing.
        assertThat(s.withIdleTimeout(Duration.ofSeconds(10)).sleep()).isEqualTo(new SleepPolicy(Duration.ZERO, Duration.ofSeconds(10), Duration.ZERO));
        assertThat(s.withIdleTimeout(Duration.ofMinutes(5)).sleep().pauseAfter()).isEqualTo(Duration.ofSeconds(30));
        SleepPolicy archiving = SleepPolicy.DEFAULT.withArchiveAfter(Duration.ofDays(7));
        assertThat(s.withSleep(archiving).withIdleTimeout(Duration.ofDays(8)).sleep().archiveAfter()).isZero();
        assertThatThrownBy(() -> SleepPolicy.DEFAULT.withPauseAfter(Duration.ofMinutes(20)))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("sleep.hibernateAfter"))
                .hasMessageContaining("out of order");
        assertThatThrownBy(() -> SleepPolicy.NEVER.withPauseAfter(Duration.ofMinutes(2)).withArchiveAfter(Duration.ofMinutes(1)))
                .hasMessageContaining("out of order");
        assertThatThrownBy(() -> SleepPolicy.DEFAULT.withArchiveAfter(Duration.ofSeconds(-1))).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> s.withSleep(null)).isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("sleep"));
        assertThat(SleepPolicy.NEVER.sleeps()).isFalse();
        assertThat(SleepPolicy.NEVER.withArchiveAfter(Duration.ofDays(1)).sleeps()).isTrue();
    }

    @Test
    void hooksAreArgvWithATimeout() {
        SleepHooks h = SleepHooks.NONE.withPreSleep("sync").withPostWake("hwclock", "-s").withTimeout(Duration.ofSeconds(5));
        assertThat(SpriteSpec.named("x").withHooks(h).hooks()).isEqualTo(h);
        assertThat(h.postWake()).containsExactly("hwclock", "-s");
        assertThatThrownBy(() -> h.withPreSleep(" ")).hasMessageContaining("blank");
        assertThatThrownBy(() -> h.withPreSleep("a", "b\0")).hasMessageContaining("NUL");
        assertThatThrownBy(() -> h.withTimeout(Duration.ZERO)).isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("hooks.timeout"));
        assertThatThrownBy(() -> h.withTimeout(Duration.ofHours(2))).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> SpriteSpec.named("x").withHooks(null)).isInstanceOf(InvalidSpecException.class);
    }

    @Test
    void withersCopyAndLeaveTheOriginal() {
        SpriteSpec a = SpriteSpec.named("a");
        SpriteSpec b = a.withEnv("TZ", "UTC").withPorts(8080, 22).withLabel("team", "x").withImage("debian:12")
                .withIdleTimeout(Duration.ofMinutes(1)).withReadiness(Readiness.http(8080, "/health"));
        assertThat(a).isEqualTo(SpriteSpec.named("a"));
        assertThat(b.env()).containsEntry("TZ", "UTC");
        assertThat(b.ports()).containsExactly(8080, 22);
        assertThat(b.labels()).containsEntry("team", "x");
        assertThat(b.image().reference()).isEqualTo("debian:12");
        assertThat(b.withName("b").name()).isEqualTo("b");
        assertThat(b.withName("b").env()).isEqualTo(b.env());
    }

    @Test
    void builderValidatesOnBuild() {
        SpriteSpec s = SpriteSpec.builder("db").env("A", "1").port(5432).cpus(1.5).memoryBytes(512L << 20)
                .sshKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG me@host").build();
        assertThat(s.resources().cpus()).isEqualTo(1.5);
        assertThat(s.sshKeys()).hasSize(1);
        assertThat(s.toBuilder().build()).isEqualTo(s);
        assertThatThrownBy(() -> SpriteSpec.builder("db").port(0).build()).hasMessageContaining("Invalid port 0");
        assertThatThrownBy(() -> SpriteSpec.builder("db").port(80).port(80).build()).hasMessageContaining("listed twice");
        assertThatThrownBy(() -> SpriteSpec.builder("db").env("1BAD", "x").build()).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> SpriteSpec.builder("db").env("OK", "nul\0").build()).hasMessageContaining("NUL");
        assertThatThrownBy(() -> SpriteSpec.builder("db").sshKey("not a key").build()).hasMessageContaining("Not an SSH public key");
        assertThatThrownBy(() -> SpriteSpec.builder("db").memoryBytes(1000).build()).hasMessageContaining("at least 6 MiB");
        assertThatThrownBy(() -> SpriteSpec.builder("db").cpus(-1).build()).hasMessageContaining("Invalid CPU limit");
        assertThatThrownBy(() -> SpriteSpec.builder("db").label("bad key!", "v").build()).isInstanceOf(InvalidSpecException.class);
    }

    @Test
    void collectionsAreCopiedAndImmutable() {
        Map<String, String> env = new HashMap<>(Map.of("A", "1"));
        SpriteSpec s = new SpriteSpec("x", ImageRef.DEFAULT, SleepPolicy.NEVER, Resources.UNLIMITED, env, List.of(), List.of(), Map.of(), Readiness.NONE, SleepHooks.NONE);
        env.put("B", "2");
        assertThat(s.env()).containsOnlyKeys("A");
        assertThatThrownBy(() -> s.env().put("C", "3")).isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost/puck/base:bookworm", "debian:12", "docker.io/library/debian", "registry.local:5000/a/b:v1.2",
            "x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})
    void validImages(String ref) {
        assertThat(ImageRef.of(ref).reference()).isEqualTo(ref);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Debian", "debian:", "a b", "debian;id", "$(id)", "../x", "x:tag with space", "-x"})
    void invalidImages(String ref) {
        assertThatThrownBy(() -> ImageRef.of(ref))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("image"));
    }

    @Test
    void readinessIsValidated() {
        assertThatThrownBy(() -> Readiness.http(8080, "health")).hasMessageContaining("Invalid readiness path");
        assertThatThrownBy(() -> Readiness.port(70000)).hasMessageContaining("Invalid port");
        assertThatThrownBy(() -> Readiness.command()).isInstanceOf(InvalidSpecException.class);
        assertThat(Readiness.all(Readiness.port(1), Readiness.command("true"))).isInstanceOf(Readiness.All.class);
    }

    @Test
    void snapshotLabels() {
        assertThat(Names.requireSnapshotLabel("before-upgrade.v2_1")).isEqualTo("before-upgrade.v2_1");
        for (String bad : List.of("", ".hidden", "a..b", "a/b", "x".repeat(65), "a b")) {
            assertThatThrownBy(() -> Names.requireSnapshotLabel(bad)).as(bad).isInstanceOf(InvalidSpecException.class);
        }
    }
}
