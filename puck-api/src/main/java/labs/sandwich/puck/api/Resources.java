package labs.sandwich.puck.api;

/**
 * Limits on what a sprite may use. Zero means "no limit" (or the runtime's default, for storage).
 *
 * @param cpus         CPU cores, fractional allowed (e.g. 0.5); 0 for no limit
 * @param memoryBytes  memory limit in bytes; 0 for no limit, else at least {@link #MIN_MEMORY}
 * @param storageBytes size of the sprite's volumes in bytes where the runtime enforces it; 0 for the default
 */
public record Resources(double cpus, long memoryBytes, long storageBytes) {
    /** No limits. */
    public static final Resources UNLIMITED = new Resources(0, 0, 0);
    /** The smallest memory limit a container can start with. */
    public static final long MIN_MEMORY = 6L << 20;
    /** The smallest storage size accepted. */
    public static final long MIN_STORAGE = 64L << 20;
    private static final int MAX_CPUS = 1024;
    private static final long MAX_BYTES = 1L << 50;

    /** Validates the limits. */
    public Resources {
        if (!(cpus >= 0) || cpus > MAX_CPUS) {
            throw new InvalidSpecException("resources.cpus", "Invalid CPU limit " + cpus + ".",
                    "Use a number of cores between 0 (no limit) and " + MAX_CPUS + ", e.g. 1.5.");
        }
        if (memoryBytes != 0 && (memoryBytes < MIN_MEMORY || memoryBytes > MAX_BYTES)) {
            throw new InvalidSpecException("resources.memory", "Invalid memory limit " + memoryBytes + " bytes.",
                    "Use 0 (no limit) or at least " + (MIN_MEMORY >> 20) + " MiB, e.g. 512 MiB = " + (512L << 20) + ".");
        }
        if (storageBytes != 0 && (storageBytes < MIN_STORAGE || storageBytes > MAX_BYTES)) {
            throw new InvalidSpecException("resources.storage", "Invalid storage size " + storageBytes + " bytes.",
                    "Use 0 (the runtime's default) or at least " + (MIN_STORAGE >> 20) + " MiB.");
        }
    }

    /** @param cpus CPU cores; @return a copy with that CPU limit */
    public Resources withCpus(double cpus) {
        return new Resources(cpus, memoryBytes, storageBytes);
    }

    /** @param bytes memory limit; @return a copy with that memory limit */
    public Resources withMemoryBytes(long bytes) {
        return new Resources(cpus, bytes, storageBytes);
    }

    /** @param bytes storage size; @return a copy with that storage size */
    public Resources withStorageBytes(long bytes) {
        return new Resources(cpus, memoryBytes, bytes);
    }
}
