package labs.sandwich.puck.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.SpriteSpec;
import org.junit.jupiter.api.Test;

class SpecCodecTest {
    @Test
    void everyFieldRoundTrips() {
        SpriteSpec spec = SpriteSpec.builder("full").image(ImageRef.of("registry.local:5000/x/y:1")).idleTimeout(Duration.ofSeconds(90))
                .cpus(0.5).memoryBytes(256L << 20).env("A", "1").env("B", "two words").port(8080).port(22)
                .sshKey("ssh-ed25519 AAAAC3Nza me@host").label("team", "blue")
                .readiness(Readiness.all(Readiness.port(22), Readiness.http(8080, "/health"), Readiness.command("test", "-f", "/ready")))
                .build();
        String json = SpecCodec.toJson(spec);
        assertThat(json).contains("\"v\":1", "\"idleTimeout\":\"PT1M30S\"", "\"type\":\"all\"");
        assertThat(SpecCodec.fromJson(json)).isEqualTo(spec);
    }

    @Test
    void defaultsRoundTrip() {
        SpriteSpec spec = SpriteSpec.named("d");
        assertThat(SpecCodec.fromJson(SpecCodec.toJson(spec))).isEqualTo(spec);
    }

    @Test
    void unknownFieldsFromANewerPuckAreIgnored() {
        String json = SpecCodec.toJson(SpriteSpec.named("n")).replace("{\"v\":1", "{\"v\":1,\"futureField\":{\"x\":[1,2]}");
        assertThat(SpecCodec.fromJson(json)).isEqualTo(SpriteSpec.named("n"));
    }
}
