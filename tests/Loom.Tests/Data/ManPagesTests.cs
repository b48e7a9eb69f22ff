using System.IO.Compression;
using System.Text;
using Loom.Data;

namespace Loom.Tests.Data;

public sealed class ManPagesTests
{
    [Fact]
    public void A_missing_directory_is_refused_by_name()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"loom-no-man-{Guid.NewGuid():N}");
        var e = Assert.Throws<DirectoryNotFoundException>(() => ManPages.Texts(missing).ToList());
        Assert.Contains(missing, e.Message);
        Assert.Contains("manpages", e.Message);
        Assert.False(ManPages.IsInstalled(missing));
    }

    [Fact]
    public void Pages_are_gunzipped_and_rendered_once_each_while_links_and_so_stubs_are_skipped()
    {
        var root = Directory.CreateTempSubdirectory("loom-man-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "man1"));
            Directory.CreateDirectory(Path.Combine(root, "man3"));
            Directory.CreateDirectory(Path.Combine(root, "fr", "man1")); // translations are not part of the corpus
            Gzip(Path.Combine(root, "man1", "frob.1.gz"), ".TH FROB 1\n.SH NAME\nfrob \\- twiddle \\fBbits\\fR\n.SH DESCRIPTION\nFrobs files\\&.\n");
            File.WriteAllText(Path.Combine(root, "man3", "frob_r.3"), ".so man1/frob.1\n");
            File.CreateSymbolicLink(Path.Combine(root, "man1", "twiddle.1.gz"), Path.Combine(root, "man1", "frob.1.gz"));
            Gzip(Path.Combine(root, "fr", "man1", "frob.1.gz"), ".TH FROB 1\n.SH NOM\nfrob \\- tripoter\n");
            File.WriteAllText(Path.Combine(root, "man1", "README"), "not a page");

            var texts = ManPages.Texts(root).ToList();

            Assert.Equal("frob(1)\n\nNAME\nfrob - twiddle bits\n\nDESCRIPTION\nFrobs files.", Assert.Single(texts));
            Assert.Equal(2, ManPages.Files(root).Count); // frob.1.gz and the stub; not the link, README or fr/
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void A_corrupt_page_is_reported_with_its_file_name()
    {
        var root = Directory.CreateTempSubdirectory("loom-man-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "man1"));
            var bad = Path.Combine(root, "man1", "bad.1.gz");
            File.WriteAllBytes(bad, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]); // gzip header, then a deflate block of the reserved type
            var e = Assert.Throws<InvalidDataException>(() => ManPages.Texts(root).ToList());
            Assert.Contains(bad, e.Message);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void The_installed_ls_page_renders_to_its_description()
    {
        var ls = ManPages.Files().Single(f => Path.GetFileName(f) == "ls.1.gz");
        var text = ManPages.Text(ManPageReader.ReadFile(ls));
        Assert.StartsWith("ls(1)\n\nNAME\nls - list directory contents", text);
        Assert.DoesNotContain("\\f", text); // font escapes resolved
    }

    private static void Gzip(string path, string text)
    {
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gzip.Write(Encoding.UTF8.GetBytes(text));
    }
}
