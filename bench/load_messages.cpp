#include "bench/load_messages.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <vector>

#include "bench/bench_base64.h"
#include "bench/load_documents.h"

namespace privmilter::bench {
namespace {

constexpr std::string_view kCrlf = "\r\n";

// Everyday correspondence of a litigation and transactions practice.
constexpr std::array<std::string_view, 20> kSentences = {
    "Further to our call this morning, I attach the revised draft for your review.",
    "The client has asked us to confirm the position on the indemnity cap before the board meeting.",
    "We propose to file the reply brief on Thursday, subject to any comments you may have.",
    "Please let me know whether the schedule of exhibits needs further changes.",
    "Opposing counsel has agreed to a two-week extension of the discovery deadline.",
    "The court granted the motion in part and set a status conference for next month.",
    "Our paralegal will circulate the deposition transcripts once the court reporter releases them.",
    "I have marked up clauses 4.2 and 7.1 to reflect the points we discussed.",
    "The expert report addresses the damages methodology and the relevant market definition.",
    "Could you confirm that the signature pages can be released on completion?",
    "The settlement conference is scheduled for 10:30 in courtroom 14B.",
    "We will need the client's sign-off on the term sheet before we respond.",
    "The licence agreement renews automatically unless either party gives ninety days' notice.",
    "The due diligence report flags three open items in the employment section.",
    "Thank you for the quick turnaround on the disclosure schedules.",
    "I will be out of the office on Friday; Raj can answer any urgent questions.",
    "The claim chart compares each asserted claim with the accused product line.",
    "The parties exchanged initial disclosures last week and the privilege logs are due on the 15th.",
    "The tribunal has invited written submissions on costs within 21 days.",
    "Attached is the closing checklist, updated with the lender's latest comments.",
};

// What the shipped policy inspects but lets pass: a matter number the
// recipient is authorized for, matter-shaped numbers that are not matters,
// card-like and phone numbers that fail validation, "confidential" alone.
constexpr std::array<std::string_view, 7> kSprinkles = {
    "Our reference for this matter is 10042-0007; please quote it in any reply.",
    "Documents can be couriered to 1 Liberty Plaza, New York, NY 10006-1404.",
    "The filing fee was charged to card 4111 1111 1111 1112 on 12 March.",
    "Call me on +1 212 555 0147 or on my mobile, 917 555 0199.",
    "Invoice 2024-118734 covers the review of 1,284 documents at the agreed rates.",
    "This note is confidential to the deal team until the announcement.",
    "The tracking number for the binders is 1Z 999 AA1 01 2345 6784.",
};

constexpr std::string_view kMarking =
    "This analysis is attorney work product and reflects counsel's mental impressions.";

// The firm's standard footer (config/policy/10-detectors.yaml): the policy
// ignores the privilege words inside it.
constexpr std::string_view kFooter =
    "This e-mail is from Example Law LLP and may contain privileged and confidential information. "
    "If you are not the intended recipient, please notify the sender by reply and delete this message; "
    "do not copy, forward or disclose its contents.";

constexpr std::string_view kSubject = "Acme v. Globex (10042-0007): revised draft and next steps";

// Paragraphs of prose totalling about `bytes` characters (before wrapping).
std::vector<std::string> paragraphs(std::size_t bytes, bool marked, std::mt19937& random) {
  std::vector<std::string> result;
  std::size_t total = 0;
  std::size_t since_sprinkle = 0;
  std::size_t sprinkle = 0;
  if (marked) {
    result.emplace_back(kMarking);
    total += kMarking.size();
  }
  while (total < bytes) {
    std::string paragraph;
    const std::size_t sentences = 3 + random() % 4;
    for (std::size_t i = 0; i < sentences && total + paragraph.size() < bytes; ++i) {
      std::string_view sentence = kSentences[random() % kSentences.size()];
      if (since_sprinkle >= 1200 || (result.empty() && i == 1)) {
        sentence = kSprinkles[sprinkle++ % kSprinkles.size()];
        since_sprinkle = 0;
      }
      if (!paragraph.empty()) paragraph += ' ';
      paragraph += sentence;
      since_sprinkle += sentence.size() + 1;
    }
    total += paragraph.size() + 2;
    result.push_back(std::move(paragraph));
  }
  return result;
}

// Lines of at most `width` characters, broken at spaces, CRLF-terminated.
std::string wrap(std::string_view text, std::size_t width = 76) {
  std::string out;
  while (text.size() > width) {
    std::size_t cut = text.rfind(' ', width);
    if (cut == std::string_view::npos || cut == 0) cut = width;
    out.append(text.substr(0, cut)).append(kCrlf);
    text.remove_prefix(std::min(text.size(), cut + 1));
  }
  return out.append(text).append(kCrlf);
}

std::string plain_text(std::size_t bytes, bool marked, std::mt19937& random) {
  std::string out = "Dear Pat," + std::string(kCrlf) + std::string(kCrlf);
  const std::size_t fixed = out.size() + kFooter.size() + 40;
  for (const auto& paragraph : paragraphs(bytes > fixed ? bytes - fixed : 0, marked, random)) {
    out += wrap(paragraph);
    out += kCrlf;
  }
  out += "Kind regards," + std::string(kCrlf) + "Jane" + std::string(kCrlf) + std::string(kCrlf);
  return out + wrap(kFooter);
}

std::string html_text(std::size_t bytes, bool marked, std::mt19937& random) {
  static constexpr std::string_view kOpenParagraph =
      "<p class=MsoNormal><span style='font-size:11.0pt;font-family:\"Calibri\",sans-serif'>";
  static constexpr std::string_view kCloseParagraph = "</span></p>";
  std::string out =
      "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n"
      "<style><!-- p.MsoNormal {margin:0cm; font-size:11.0pt; font-family:\"Calibri\",sans-serif;}\r\n"
      "a:link {color:#0563C1; text-decoration:underline;} --></style></head>\r\n"
      "<body lang=EN-US link=\"#0563C1\"><div class=WordSection1>\r\n";
  out += wrap(std::string(kOpenParagraph) + "Dear Pat," + std::string(kCloseParagraph));
  const std::size_t markup_per_paragraph = kOpenParagraph.size() + kCloseParagraph.size() + 30;
  const std::size_t fixed = out.size() + kFooter.size() + 400;
  // About a quarter of Outlook's HTML is markup.
  const std::size_t text_bytes = bytes > fixed ? (bytes - fixed) * 3 / 4 : 0;
  for (const auto& paragraph : paragraphs(text_bytes, marked, random)) {
    std::string html = std::string(kOpenParagraph);
    // Bold the first sentence, as a heading-like lead.
    const auto first_stop = paragraph.find(". ");
    if (first_stop != std::string::npos && paragraph.size() > markup_per_paragraph) {
      html += "<b>" + paragraph.substr(0, first_stop + 1) + "</b>" + paragraph.substr(first_stop + 1);
    } else {
      html += paragraph;
    }
    html += kCloseParagraph;
    out += wrap(html);
  }
  out += wrap(std::string(kOpenParagraph) + "Kind regards,<br>Jane" + std::string(kCloseParagraph));
  out += wrap("<p class=MsoNormal><span style='font-size:8.0pt;color:gray'>" + std::string(kFooter) +
              "</span></p>");
  return out + "</div></body></html>\r\n";
}

// Prose for a PDF page: lines of at most 90 characters, a blank line
// after each paragraph.
std::vector<std::string> pdf_lines(std::size_t bytes, bool marked, std::mt19937& random) {
  std::vector<std::string> lines;
  for (const auto& paragraph : paragraphs(bytes, marked, random)) {
    const std::string wrapped = wrap(paragraph, 90);
    for (std::size_t start = 0; start < wrapped.size();) {
      const auto end = wrapped.find(kCrlf, start);
      lines.push_back(wrapped.substr(start, end - start));
      start = end + kCrlf.size();
    }
    lines.emplace_back();
  }
  return lines;
}

std::string headers(std::string_view content_type, std::string_view transfer_encoding) {
  std::string out =
      "Received: from [10.20.30.40] (client.example.net [192.0.2.25])\r\n"
      "\tby mx.examplelaw.com (Postfix) with ESMTPSA id 4ZTESTQUEUEID\r\n"
      "\tfor <partner@globex-litigators.example>; Sat, 28 Nov 2026 10:15:02 +0000 (UTC)\r\n"
      "Date: Sat, 28 Nov 2026 10:15:00 +0000\r\n"
      "From: Jane Doe <jdoe@examplelaw.com>\r\n"
      "To: Pat Partner <partner@globex-litigators.example>\r\n"
      "Subject: " + std::string(kSubject) + "\r\n"
      "Message-ID: <bench-0000000000@examplelaw.com>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: " + std::string(content_type) + "\r\n";
  if (!transfer_encoding.empty()) out += "Content-Transfer-Encoding: " + std::string(transfer_encoding) + "\r\n";
  return out + "X-Mailer: Microsoft Outlook 16.0\r\n\r\n";
}

std::string with_attachment(std::size_t nominal, MessageKind kind, bool marked, std::mt19937& random) {
  static constexpr std::string_view kBoundary = "----=_NextPart_000_0042_01DB4151.6C3A5E20";
  std::string raw = headers("multipart/mixed; boundary=\"" + std::string(kBoundary) + "\"", "");
  raw += "This is a multi-part message in MIME format.\r\n\r\n--" + std::string(kBoundary) + "\r\n";
  raw += "Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  raw += plain_text(600, false, random);
  const bool docx = kind == MessageKind::docx;
  const std::string name = docx ? "Draft response.docx" : "Draft response.pdf";
  raw += "\r\n--" + std::string(kBoundary) + "\r\n";
  raw += docx ? "Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\r\n"
              : "Content-Type: application/pdf;\r\n";
  raw += "\tname=\"" + name + "\"\r\nContent-Transfer-Encoding: base64\r\n";
  raw += "Content-Disposition: attachment;\r\n\tfilename=\"" + name + "\"\r\n\r\n";
  const std::size_t overhead = raw.size() + kBoundary.size() + 8;
  // base64 with 76-column CRLF lines is 1.37 times the bytes.
  const std::size_t document_bytes = nominal > overhead ? (nominal - overhead) * 100 / 137 : 0;
  raw += bench::base64_lines(docx ? word_document(paragraphs(std::max<std::size_t>(document_bytes, 600), marked, random),
                                     document_bytes, random)
                     : pdf_document(pdf_lines(std::max<std::size_t>(document_bytes / 2, 600), marked, random),
                                    document_bytes, random));
  return raw + "\r\n--" + std::string(kBoundary) + "--\r\n";
}

}  // namespace

std::string_view to_string(MessageKind kind) {
  switch (kind) {
    case MessageKind::plain: return "plain";
    case MessageKind::html: return "html";
    case MessageKind::docx: return "docx";
    case MessageKind::pdf: return "pdf";
  }
  return "?";
}

std::optional<MessageKind> parse_message_kind(std::string_view text) {
  for (MessageKind kind : {MessageKind::plain, MessageKind::html, MessageKind::docx, MessageKind::pdf}) {
    if (text == to_string(kind)) return kind;
  }
  return std::nullopt;
}

std::optional<std::size_t> parse_size(std::string_view text) {
  std::size_t digits = 0;
  std::size_t value = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
    value = value * 10 + static_cast<std::size_t>(text[digits] - '0');
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  std::string unit;
  for (char c : text.substr(digits)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.empty() || unit == "b") return value;
  if (unit == "k" || unit == "kb") return value << 10;
  if (unit == "m" || unit == "mb") return value << 20;
  return std::nullopt;
}

std::string size_label(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KB";
  return std::to_string(bytes) + " B";
}

TestMessage make_test_message(MessageKind kind, std::size_t nominal_bytes, bool marked) {
  std::mt19937 random(static_cast<unsigned>(nominal_bytes) * 4 + static_cast<unsigned>(kind));
  TestMessage message;
  message.kind = kind;
  message.nominal_bytes = nominal_bytes;
  switch (kind) {
    case MessageKind::plain: {
      message.raw = headers("text/plain; charset=\"utf-8\"", "8bit");
      const std::size_t head = message.raw.size();
      message.raw += plain_text(nominal_bytes > head ? nominal_bytes - head : 0, marked, random);
      break;
    }
    case MessageKind::html: {
      message.raw = headers("text/html; charset=\"utf-8\"", "8bit");
      const std::size_t head = message.raw.size();
      message.raw += html_text(nominal_bytes > head ? nominal_bytes - head : 0, marked, random);
      break;
    }
    case MessageKind::docx:
    case MessageKind::pdf: message.raw = with_attachment(nominal_bytes, kind, marked, random); break;
  }
  message.split = miltertest::split_raw_message(message.raw);
  for (std::size_t i = 0; i < message.split.headers.size(); ++i) {
    if (message.split.headers[i].name == "Message-ID") message.message_id_index = i;
  }
  return message;
}

}  // namespace privmilter::bench
