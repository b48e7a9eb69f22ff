using Loom.Data;
using Loom.Retrieval;

namespace Loom.Tests.Retrieval;

public class DocumentReaderTests
{
    [Fact]
    public void Markdown_title_is_first_h1_and_headings_start_sections_but_not_inside_code_fences()
    {
        var doc = MarkdownReader.Read("a.md", "intro line\n# Loom guide\nHello.\n## Install ##\nRun it.\n```\n# not a heading\n```\n## C#\nCode.");
        Assert.Equal("Loom guide", doc.Title);
        Assert.Equal(["", "Loom guide", "Install", "C#"], doc.Sections.Select(s => s.Heading));
        Assert.Contains("# not a heading", doc.Sections[2].Text);
    }

    [Fact]
    public void Html_drops_scripts_styles_comments_and_tags_decodes_entities_and_keeps_title()
    {
        var doc = HtmlReader.Read("p.html", """
            <html><head><title>Fish &amp; Chips</title><style>body{color:red}</style></head>
            <body><script>alert("x")</script><!-- hidden --><h1>Menu</h1><p>Cod &lt;fresh&gt; daily.</p><p>Second <b>para</b>.</p></body></html>
            """);
        Assert.Equal("Fish & Chips", doc.Title);
        var text = doc.FullText;
        Assert.DoesNotContain("alert", text);
        Assert.DoesNotContain("color", text);
        Assert.DoesNotContain("hidden", text);
        Assert.DoesNotContain("<", text.Replace("<fresh>", ""));
        Assert.Contains("Cod <fresh> daily.", text);
        Assert.Contains("Second para.", text);
        Assert.Contains(doc.Sections, s => s.Heading == "Menu");
    }

    [Fact]
    public void Man_page_macros_and_escapes_render_to_text()
    {
        var page = ManPageReader.Read("/x/man1/frob.1", """
            .\" a comment
            .TH FROB 1 "2024" "frob 1.0" "User Commands"
            .SH NAME
            frob \- twiddle the \fBbits\fR of a file
            .SH SYNOPSIS
            .B frob
            [\fI\,OPTION\/\fR]... \fIFILE\fP
            .SH DESCRIPTION
            .PP
            Frobs \(lqfiles\(rq \(em quickly\&.
            .TP
            .BR \-v ", " \-\-verbose
            say more
            .IP \(bu 2
            bullet item \e backslash
            .de XX
            hidden macro body
            ..
            .SS Notes
            See
            .IR ls (1).
            """);
        Assert.Equal("frob(1)", page.Document.Title);
        Assert.Equal("frob", page.Name);
        Assert.Equal("twiddle the bits of a file", page.Description);
        Assert.Equal(["NAME", "SYNOPSIS", "DESCRIPTION", "Notes"], page.Document.Sections.Select(s => s.Heading));
        var description = page.Document.Sections[2].Text;
        Assert.Contains("Frobs \"files\" — quickly.", description);
        Assert.Contains("-v, --verbose", description);
        Assert.Contains("• bullet item \\ backslash", description);
        Assert.DoesNotContain("hidden macro", page.Document.FullText);
        Assert.DoesNotContain("comment", page.Document.FullText);
        Assert.Contains("frob [OPTION]... FILE", page.Document.Sections[1].Text);
        Assert.Equal("See ls(1).", page.Document.Sections[3].Text);
    }

    [Fact]
    public void Asciidoctor_style_conditional_setup_blocks_are_skipped_and_the_description_is_the_NAME_line_only()
    {
        var page = ManPageReader.Read("choom.1", """
            '\" t
            .TH "CHOOM" "1" "2022-05-11" "util\-linux 2.38.1" "User Commands"
            .ie \n(.g .ds Aq \(aq
            .el       .ds Aq '
            .de URL
            \fI\\$2\fP <\\$1>\\$3
            ..
            .if \n[.g] \{\
            .  mso www.tmac
            .  am URL
            .    ad l
            .  .
            .\}
            .SH "NAME"
            choom \- display and adjust OOM\-killer score.
            .sp
            \fBchoom\fP \fB\-p\fP \fIPID\fP
            .SH "DESCRIPTION"
            The \fBchoom\fP command adjusts the score.
            """);
        Assert.Equal("choom(1)", page.Document.Title);
        Assert.Equal("display and adjust OOM-killer score.", page.Description);
        Assert.Equal("The choom command adjusts the score.", page.Document.Sections.Single(s => s.Heading == "DESCRIPTION").Text);
        Assert.DoesNotContain("mso", page.Document.FullText);
    }

    [Fact]
    public void Real_gzipped_man_page_reads_through_DocumentReader()
    {
        const string path = "/usr/share/man/man1/ls.1.gz";
        if (!File.Exists(path)) return; // manpages are installed by .ci/run; nothing to check without them
        var doc = DocumentReader.Read(path);
        Assert.Equal("ls(1)", doc.Title);
        Assert.Equal("ls - list directory contents", doc.Sections.Single(s => s.Heading == "NAME").Text);
        Assert.Contains("--almost-all", doc.FullText);
        Assert.DoesNotContain("\\f", doc.FullText);
    }

    [Fact]
    public void Binary_empty_undecodable_and_fake_gzip_files_are_refused_with_the_reason()
    {
        using var folder = new TempFolder();
        var binary = folder.File("a.bin");
        File.WriteAllBytes(binary, [1, 2, 0, 3]);
        var latin1 = folder.File("b.txt");
        File.WriteAllBytes(latin1, [0x63, 0x61, 0x66, 0xE9, 0x20, 0x61]);
        var empty = folder.File("c.txt", "  \n ");
        var fakeGzip = folder.File("d.1.gz", "not gzip");
        Assert.Contains("binary", Assert.Throws<UnsupportedDocumentException>(() => DocumentReader.Read(binary)).Problem);
        Assert.Contains("UTF-8", Assert.Throws<UnsupportedDocumentException>(() => DocumentReader.Read(latin1)).Problem);
        Assert.Contains("no text", Assert.Throws<UnsupportedDocumentException>(() => DocumentReader.Read(empty)).Problem);
        Assert.Contains("gzip", Assert.Throws<UnsupportedDocumentException>(() => DocumentReader.Read(fakeGzip)).Problem);
        Assert.Contains("cannot read", Assert.Throws<UnsupportedDocumentException>(() => DocumentReader.Read(folder.File("missing.txt"))).Problem);
    }
}
