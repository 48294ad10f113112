package dev.permafrost.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.UUID;

/**
 * Reads and writes files on any Hadoop FileSystem (file://, hdfs://, s3a://, ...). Writes go to a hidden temporary
 * name in the target folder and are renamed into place, so a reader never sees half a file.
 */
public final class HadoopFiles {
    private final Configuration conf;

    public HadoopFiles(Configuration conf) {
        this.conf = conf;
    }

    private FileSystem fs(String uri) throws IOException {
        return FileSystem.get(new Path(uri).toUri(), conf); // Path, unlike URI.create, takes spaces and any Unicode as they are
    }

    public boolean exists(String uri) {
        try {
            return fs(uri).exists(new Path(uri));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + uri + ": " + e.getMessage(), e);
        }
    }

    /** A local file with the contents of {@code uri}: the file itself when local, else a temporary copy. */
    public java.nio.file.Path local(String uri) {
        Path p = new Path(uri);
        try {
            FileSystem fs = fs(uri);
            if (!fs.exists(p)) throw new IllegalArgumentException(uri + " does not exist");
            if (fs.getFileStatus(p).isDirectory()) throw new IllegalArgumentException(uri + " is a directory; give the file itself");
            if (fs.getScheme().equals("file")) return localPath(fs, p);
            java.nio.file.Path tmp = ProcessTemp.file("copy-", "-" + p.getName());
            tmp.toFile().deleteOnExit();
            try (InputStream in = fs.open(p)) {
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri + ": " + e.getMessage(), e);
        }
    }

    public byte[] read(String uri) {
        try (InputStream in = fs(uri).open(new Path(uri))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri + ": " + e.getMessage(), e);
        }
    }

    /** Names of the entries directly inside a folder; empty when it does not exist. */
    public java.util.List<String> list(String dirUri) {
        try {
            FileSystem fs = fs(dirUri);
            Path dir = new Path(dirUri);
            if (!fs.exists(dir)) return java.util.List.of();
            java.util.List<String> out = new java.util.ArrayList<>();
            for (var st : fs.listStatus(dir)) out.add(st.getPath().getName());
            java.util.Collections.sort(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dirUri + ": " + e.getMessage(), e);
        }
    }

    public void mkdirs(String dirUri) {
        try {
            fs(dirUri).mkdirs(new Path(dirUri));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dirUri + ": " + e.getMessage(), e);
        }
    }

    /** Renames a file or folder; on HDFS and local disks this is atomic. */
    public void rename(String fromUri, String toUri) {
        try {
            if (!fs(fromUri).rename(new Path(fromUri), new Path(toUri))) throw new IOException("rename refused");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rename " + fromUri + " to " + toUri + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code bytes} to {@code uri} only if nothing is there yet, atomically: of two writers racing for the same
     * name exactly one wins, and a reader sees the whole file or none. The bytes go to a hidden temporary file first,
     * which is then linked in (local disks: link(2), which fails if the name exists) or renamed in without overwrite
     * (other file systems: FileContext, which HDFS's namenode decides atomically; object stores without atomic renames
     * give no such guarantee). Returns false, writing nothing, when the file exists.
     */
    public boolean createExclusive(String uri, byte[] bytes) {
        Path target = new Path(uri);
        Path tmp = hiddenTemp(target);
        try {
            FileSystem fs = fs(uri);
            fs.mkdirs(target.getParent());
            if (isLocal(fs)) {
                java.nio.file.Path localTmp = localPath(fs, tmp);
                try {
                    Files.write(localTmp, bytes, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE,
                            java.nio.file.StandardOpenOption.SYNC);
                    Files.createLink(localPath(fs, target), localTmp);
                    return true;
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    return false;
                } finally {
                    Files.deleteIfExists(localTmp);
                }
            }
            try {
                try (OutputStream out = fs.create(tmp, false)) {
                    out.write(bytes);
                }
                return renameInContext(tmp, target, org.apache.hadoop.fs.Options.Rename.NONE);
            } finally {
                if (fs.exists(tmp)) fs.delete(tmp, false);
            }
        } catch (IOException | org.apache.hadoop.fs.FSError e) {
            throw new UncheckedIOException("cannot write " + uri + ": " + reason(e) + localCause(target), io(e));
        }
    }

    /**
     * Moves the folder {@code fromUri} to {@code toUri} only if nothing is at {@code toUri}, atomically: of two movers
     * racing for the same target exactly one wins. Returns false, moving nothing, when the target exists. Local disks
     * use rename(2), which refuses a non-empty target folder; other file systems FileContext's rename without
     * overwrite, atomic on HDFS.
     */
    public boolean moveExclusive(String fromUri, String toUri) {
        try {
            FileSystem fs = fs(fromUri);
            if (isLocal(fs)) {
                java.nio.file.Path to = localPath(fs, new Path(toUri));
                if (Files.exists(to)) return false;
                try {
                    Files.move(localPath(fs, new Path(fromUri)), to, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    return true;
                } catch (java.nio.file.FileSystemException e) {
                    // rename(2) onto a folder another mover filled first fails with ENOTEMPTY
                    if (Files.exists(to)) return false;
                    throw e;
                }
            }
            return renameInContext(new Path(fromUri), new Path(toUri), org.apache.hadoop.fs.Options.Rename.NONE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + fromUri + " to " + toUri + ": " + e.getMessage(), e);
        }
    }

    /**
     * Replaces the file at {@code uri} with {@code bytes} atomically: a reader sees the old contents or the new, never
     * neither. Local disks rename(2) over the old file; HDFS FileContext's rename with overwrite.
     */
    public void replaceAtomically(String uri, byte[] bytes) {
        Path target = new Path(uri);
        Path tmp = hiddenTemp(target);
        try {
            FileSystem fs = fs(uri);
            fs.mkdirs(target.getParent());
            if (isLocal(fs)) {
                Files.write(localPath(fs, tmp), bytes);
                Files.move(localPath(fs, tmp), localPath(fs, target), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } else {
                try (OutputStream out = fs.create(tmp, false)) {
                    out.write(bytes);
                }
                renameInContext(tmp, target, org.apache.hadoop.fs.Options.Rename.OVERWRITE);
            }
        } catch (IOException | org.apache.hadoop.fs.FSError e) {
            try {
                fs(uri).delete(tmp, false);
            } catch (IOException ignored) {
                // best effort: the temporary file is hidden and named as such
            }
            throw new UncheckedIOException("cannot replace " + uri + ": " + reason(e) + localCause(target), io(e));
        }
    }

    /**
     * FileContext's rename, which unlike FileSystem's never moves {@code from} into an existing folder and which HDFS's
     * namenode performs atomically; false when {@code mode} is NONE and {@code to} exists.
     */
    private boolean renameInContext(Path from, Path to, org.apache.hadoop.fs.Options.Rename mode) throws IOException {
        try {
            org.apache.hadoop.fs.FileContext.getFileContext(from.toUri(), conf).rename(from, to, mode);
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        }
    }

    /** A hidden, unique name beside {@code target} to write under before it is renamed or linked into place. */
    private static Path hiddenTemp(Path target) {
        return new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
    }

    private static boolean isLocal(FileSystem fs) {
        return fs instanceof org.apache.hadoop.fs.LocalFileSystem || fs instanceof org.apache.hadoop.fs.RawLocalFileSystem;
    }

    private static java.nio.file.Path localPath(FileSystem fs, Path p) {
        // The decoded path: Path.of(URI) refuses a URI holding non-ASCII characters ("Bad escape").
        return java.nio.file.Path.of(fs.makeQualified(p).toUri().getPath());
    }

    /** The modification time of a file, in milliseconds since the epoch. */
    public long modified(String uri) {
        try {
            return fs(uri).getFileStatus(new Path(uri)).getModificationTime();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the status of " + uri + ": " + e.getMessage(), e);
        }
    }

    /** Sets a file's modification time to now: a lease's heartbeat. */
    public void touch(String uri) {
        try {
            fs(uri).setTimes(new Path(uri), System.currentTimeMillis(), -1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot touch " + uri + ": " + e.getMessage(), e);
        }
    }

    /** True when {@code uri} is a folder; false when it is a file or absent. */
    public boolean isDirectory(String uri) {
        try {
            FileSystem fs = fs(uri);
            Path p = new Path(uri);
            return fs.exists(p) && fs.getFileStatus(p).isDirectory();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + uri + ": " + e.getMessage(), e);
        }
    }

    public void deleteRecursively(String uri) {
        try {
            fs(uri).delete(new Path(uri), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + uri + ": " + e.getMessage(), e);
        }
    }

    public void write(String dirUri, String name, byte[] bytes) {
        writeWith(dirUri, name, out -> out.write(bytes));
    }

    public void copyIn(java.nio.file.Path local, String dirUri, String name) {
        writeWith(dirUri, name, out -> Files.copy(local, out));
    }

    private interface Writer {
        void to(OutputStream out) throws IOException;
    }

    private void writeWith(String dirUri, String name, Writer writer) {
        Path dir = new Path(dirUri);
        Path target = new Path(dir, name);
        Path tmp = hiddenTemp(target);
        try {
            FileSystem fs = fs(dirUri);
            fs.mkdirs(dir);
            try (OutputStream out = fs.create(tmp, false)) {
                writer.to(out);
            }
            if (fs.exists(target) && !fs.delete(target, false)) throw new IOException("cannot replace " + target);
            if (!fs.rename(tmp, target)) throw new IOException("cannot rename " + tmp + " to " + target);
        } catch (IOException | org.apache.hadoop.fs.FSError e) {
            try {
                fs(dirUri).delete(tmp, false);
            } catch (IOException ignored) {
                // best effort: the temporary file is hidden and named as such
            }
            throw new UncheckedIOException("cannot write " + target + ": " + reason(e) + localCause(target), io(e));
        }
    }

    /**
     * Hadoop's local FileSystem reports a failed write (a full disk) as FSError, an Error: as an IOException here, so
     * callers clean up and report it like any other failed write.
     */
    private static IOException io(Throwable e) {
        return e instanceof IOException io ? io : new IOException(reason(e), e);
    }

    /**
     * Why a local write failed when Hadoop's message does not say (its "Mkdirs failed to create" hides ENOSPC, a
     * read-only filesystem or a permission): a probe file created in the nearest existing folder. Empty when the folder
     * takes the probe, or is not local.
     */
    private String localCause(Path target) {
        try {
            FileSystem fs = fs(target.toString());
            if (!isLocal(fs)) return "";
            java.nio.file.Path p = localPath(fs, target).getParent();
            while (p != null && !Files.isDirectory(p)) p = p.getParent();
            if (p == null) return "";
            java.nio.file.Path probe = Files.createTempFile(p, ".permafrost-probe", ".tmp");
            Files.deleteIfExists(probe);
            return "";
        } catch (java.nio.file.AccessDeniedException e) {
            return " (permission denied in " + e.getFile() + ")";
        } catch (java.nio.file.FileSystemException e) {
            String why = String.valueOf(e.getReason());
            if (why.contains("No space left on device")) return " (No space left on device: the filesystem holding " + e.getFile() + " is full)";
            return " (" + why + ": " + e.getFile() + ")";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static String reason(Throwable e) {
        return e instanceof org.apache.hadoop.fs.FSError && e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
    }
}
