package labs.sandwich.puck.network.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.Route;

/**
 * Routes switched by a file each: the route dials {@code {file.<caddy.dir>/upstreams/<key>}},
 * which Caddy reads on every request (~25–50 µs), and a switch replaces that one-line file
 * atomically. Needs no privileges; the fallback where the {@link KernelSwitch} cannot be used.
 */
final class FileSwitch implements RouteSwitch {
    private final Path dir;

    FileSwitch(Path caddyDir) {
        this.dir = caddyDir.resolve("upstreams");
    }

    @Override
    public String point(String key, Route route) {
        Endpoint target = route.target();
        try {
            Path file = dir.resolve(key);
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, key, ".tmp");
            Files.writeString(tmp, target.host() + ":" + target.port());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return "{file." + file + "}";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot point route " + key + " at its target in " + dir, e);
        }
    }

    @Override
    public Optional<String> target(String key) {
        try {
            return Optional.of(Files.readString(dir.resolve(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Optional<String> source() {
        return Optional.empty();
    }

    @Override
    public void remove(String key) {
        try {
            Files.deleteIfExists(dir.resolve(key));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String kind() {
        return "file (" + dir + ")";
    }
}
