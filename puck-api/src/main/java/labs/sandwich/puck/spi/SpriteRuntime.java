package labs.sandwich.puck.spi;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.Console;
import labs.sandwich.puck.api.ConsoleRequest;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.ExecResult;
import labs.sandwich.puck.api.ImageRef;
import labs.sandwich.puck.api.Readiness;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.SnapshotId;
import labs.sandwich.puck.api.SpriteInfo;
import labs.sandwich.puck.api.SpriteSpec;

/**
 * A place where sprites live (Podman, Kubernetes, cloud VMs). The engine calls it; users
 * never do. The engine journals every state change before and after each call, enforces
 * timeouts by interrupting the calling thread, serializes operations on one sprite, and
 * wakes a sleeping sprite before exec, files, console and snapshot.
 *
 * <p>The contract, checked by {@code SpriteRuntimeCompatibilityKit}:
 * <ul>
 *   <li>Calls block until done and are safe from many threads for different sprites.</li>
 *   <li>An unknown sprite throws {@code SpriteNotFoundException}; an operation the sprite's
 *       state does not allow throws {@code IllegalSpriteStateException}; an operation outside
 *       {@link #capabilities()} throws {@code UnsupportedCapabilityException}. Backend errors
 *       are translated to {@code PuckException}s (else {@code BackendException}); no backend
 *       type escapes.</li>
 *   <li>Nothing is deleted on an ambiguous state: when unsure, keep data and throw.</li>
 *   <li>{@link #restore} verifies the snapshot's checksum before touching the sprite, and
 *       throws {@code SnapshotCorruptedException} on a mismatch.</li>
 * </ul>
 */
public interface SpriteRuntime extends AutoCloseable {
    /** @return the runtime's name, as its provider's */
    String name();

    /** @return what this runtime can do here (after probing the host) */
    Set<Capability> capabilities();

    /**
     * @param capability a capability not in {@link #capabilities()}
     * @return why it is missing here, for people, e.g. "Podman runs rootless; CRIU needs root"
     */
    default String unsupportedReason(Capability capability) {
        return "the " + name() + " runtime does not implement it";
    }

    /**
     * Creates a sprite and starts it; returns once it runs (readiness is the engine's job).
     *
     * @param spec what to create
     * @return the sprite, {@code RUNNING}
     * @throws labs.sandwich.puck.api.SpriteAlreadyExistsException if the name is taken, by a sprite or anything else
     * @throws labs.sandwich.puck.api.ImageNotFoundException if the image is absent
     */
    SpriteInfo create(SpriteSpec spec);

    /**
     * @param sprite a name
     * @return the sprite as the runtime sees it, or empty if it does not exist
     */
    Optional<SpriteInfo> inspect(String sprite);

    /** @return every sprite this runtime holds (only what Puck created; never adopts foreign objects) */
    List<SpriteInfo> list();

    /**
     * Runs a command in a running sprite.
     *
     * @param sprite  a running sprite
     * @param request the command
     * @return its result
     * @throws labs.sandwich.puck.api.OperationTimeoutException past the request's timeout, after killing it
     */
    ExecResult exec(String sprite, ExecRequest request);

    /**
     * Opens an interactive terminal in a running sprite.
     *
     * @param sprite  a running sprite
     * @param request program and terminal size
     * @return the console
     */
    Console console(String sprite, ConsoleRequest request);

    /**
     * Writes a file into a running sprite, creating parent directories.
     *
     * @param sprite  a running sprite
     * @param path    absolute path in the sprite
     * @param content the bytes, read to the end; the caller closes it
     */
    void writeFile(String sprite, String path, InputStream content);

    /**
     * Reads a file from a running sprite.
     *
     * @param sprite a running sprite
     * @param path   absolute path of a regular file in the sprite
     * @param sink   receives the bytes; the caller closes it
     */
    void readFile(String sprite, String path, OutputStream sink);

    /**
     * Freezes a running sprite in place.
     *
     * @param sprite a running sprite
     */
    void pause(String sprite);

    /**
     * Resumes a paused sprite.
     *
     * @param sprite a paused sprite
     */
    void unpause(String sprite);

    /**
     * Checkpoints a running sprite's memory to disk and frees its RAM.
     *
     * @param sprite a running sprite
     */
    void hibernate(String sprite);

    /**
     * Restores a hibernated or archived sprite; returns once it runs.
     *
     * @param sprite a hibernated or archived sprite
     */
    void wake(String sprite);

    /**
     * Archives a hibernated sprite: its checkpoint is exported into the runtime's own storage
     * and everything else the runtime holds for it, except its volumes, is freed. Afterwards
     * {@link #inspect} and {@link #list} report it {@code ARCHIVED}, {@link #wake} restores it
     * and {@link #delete} removes the archive too. Only for runtimes with {@link Capability#ARCHIVE}.
     *
     * @param sprite a hibernated sprite
     */
    default void archive(String sprite) {
        throw new labs.sandwich.puck.api.UnsupportedCapabilityException(Capability.ARCHIVE, name(), unsupportedReason(Capability.ARCHIVE));
    }

    /**
     * Counts a sprite's network traffic, for the idle monitor, which calls it once per tick for
     * each awake sprite: it must be cheap and must not touch the traffic itself. The counters
     * may restart from zero when the sprite wakes; the monitor only compares successive values.
     *
     * @param sprite a running or paused sprite
     * @return bytes received and sent, or empty where the runtime cannot count them (then only
     *         sessions and keep-alives count as activity)
     */
    default Optional<Traffic> traffic(String sprite) {
        return Optional.empty();
    }

    /**
     * The RAM a sprite's processes use now, for {@code puck list} and {@code inspect()}.
     *
     * @param sprite a running or paused sprite
     * @return bytes in use, or empty where the runtime cannot tell
     */
    default java.util.OptionalLong memoryBytes(String sprite) {
        return java.util.OptionalLong.empty();
    }

    /**
     * Checks one readiness condition once, without waiting ({@link Readiness.Port},
     * {@link Readiness.Http} or {@link Readiness.Command}; the engine handles the others and
     * the polling).
     *
     * @param sprite a running sprite
     * @param check  the condition
     * @return whether it holds now
     */
    boolean isReady(String sprite, Readiness check);

    /**
     * Takes a snapshot of a running sprite (memory, file system, volumes); it keeps running.
     *
     * @param sprite a running sprite
     * @param id     the id the engine allocated (and journaled)
     * @param label  the user's label
     * @return the snapshot, with its size and SHA-256
     */
    Snapshot snapshot(String sprite, SnapshotId id, String label);

    /**
     * Replaces a sprite's state by a snapshot's, after verifying its checksum; the sprite runs afterwards.
     *
     * @param sprite   the sprite (running, paused, hibernated or archived)
     * @param snapshot one of its snapshots
     * @throws labs.sandwich.puck.api.SnapshotCorruptedException on a checksum mismatch, before anything changed
     */
    void restore(String sprite, Snapshot snapshot);

    /**
     * Takes a snapshot that {@link #reset} can return to quickly and repeatedly (see
     * {@link labs.sandwich.puck.api.Sprite#snapshotForReset}). The default is {@link #snapshot}.
     *
     * @param sprite a running sprite; it runs afterwards
     * @param id     the id the engine allocated (and journaled)
     * @param label  the user's label
     * @return the snapshot, with its size and SHA-256
     */
    default Snapshot snapshotForReset(String sprite, SnapshotId id, String label) {
        return snapshot(sprite, id, label);
    }

    /**
     * Replaces a sprite's state by a snapshot's without saving the current state first (see
     * {@link labs.sandwich.puck.api.Sprite#reset}); the sprite runs afterwards. The default is
     * {@link #restore}.
     *
     * @param sprite   the sprite (running, paused, hibernated or archived)
     * @param snapshot one of its snapshots
     * @throws labs.sandwich.puck.api.SnapshotCorruptedException on a checksum mismatch, before anything changed
     */
    default void reset(String sprite, Snapshot snapshot) {
        restore(sprite, snapshot);
    }

    /**
     * Creates a new sprite from a snapshot, after verifying its checksum.
     *
     * @param snapshot the snapshot
     * @param spec     the new sprite's spec (its name differs from the snapshot's sprite)
     * @return the new sprite, {@code RUNNING}
     */
    SpriteInfo fork(Snapshot snapshot, SpriteSpec spec);

    /**
     * Deletes a snapshot's data; absent data is not an error.
     *
     * @param snapshot the snapshot
     */
    void deleteSnapshot(Snapshot snapshot);

    /**
     * Builds an image from a build context (a directory) and tags it; only for runtimes with
     * {@link Capability#BUILD_IMAGES}. The engine has checked that the directory and the
     * Containerfile exist.
     *
     * @param context      the build context directory
     * @param containerfile the Containerfile's path relative to {@code context}
     * @param tag          the tag to give the image
     * @return the tag, once the image exists
     * @throws labs.sandwich.puck.api.BackendException if the build fails, with the builder's message
     */
    default ImageRef buildImage(java.nio.file.Path context, String containerfile, ImageRef tag) {
        throw new labs.sandwich.puck.api.UnsupportedCapabilityException(Capability.BUILD_IMAGES, name(), unsupportedReason(Capability.BUILD_IMAGES));
    }

    /**
     * @param sprite a sprite
     * @param port   one of its ports
     * @return where that port is reached from this machine
     */
    Endpoint endpoint(String sprite, int port);

    /**
     * Deletes a sprite in any state.
     *
     * @param sprite the sprite
     * @param policy whether its volumes go too
     */
    void delete(String sprite, DeletePolicy policy);

    /** Releases the runtime's resources (connections, threads); sprites are not affected. */
    @Override
    void close();
}
