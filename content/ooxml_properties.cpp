// Document properties of an Office Open XML package: core (title, author,
// last modified by, ...), extended (company, manager) and custom ones.

#include <array>
#include <string>
#include <string_view>

#include "ooxml_parts.h"

namespace privmilter::content {
namespace {

struct PropertyName {
  std::string_view element;   // local name in docProps/core.xml or app.xml
  std::string_view property;  // name in PartFact::properties
};

constexpr std::array<PropertyName, 10> kProperties{{
    {"title", "title"},
    {"creator", "author"},
    {"lastModifiedBy", "last_modified_by"},
    {"subject", "subject"},
    {"keywords", "keywords"},
    {"description", "description"},
    {"category", "category"},
    {"Company", "company"},
    {"Manager", "manager"},
    {"HyperlinkBase", "hyperlink_base"},
}};

std::string_view property_for(std::string_view element) {
  for (const PropertyName& name : kProperties) {
    if (name.element == element) return name.property;
  }
  return {};
}

// Each child of the root element that names a known property; its text is the value.
void read_named_properties(const std::string& xml, DocumentFindings& findings, Extraction& extraction) {
  XmlStream stream(xml);
  std::string_view property;
  std::string value;
  while (advance(stream, extraction, findings)) {
    if (stream.ancestors().size() == 1 && stream.node() == XmlStream::Node::element) {
      property = property_for(stream.local_name());
      value.clear();
    } else if (stream.node() == XmlStream::Node::text && !property.empty()) {
      value += stream.text();
    } else if (stream.ancestors().size() == 1 && stream.node() == XmlStream::Node::end_element) {
      if (!property.empty()) findings.add_property(std::string(property), value);
      property = {};
    }
  }
}

// docProps/custom.xml: <property name="Client"><vt:lpwstr>value</vt:lpwstr></property>.
void read_custom_properties(const std::string& xml, DocumentFindings& findings, Extraction& extraction) {
  XmlStream stream(xml);
  std::string name;
  std::string value;
  while (advance(stream, extraction, findings)) {
    if (stream.node() == XmlStream::Node::element && stream.local_name() == "property") {
      name = stream.attribute("name").value_or("");
      value.clear();
    } else if (stream.node() == XmlStream::Node::text && !name.empty()) {
      value += stream.text();
    } else if (stream.node() == XmlStream::Node::end_element && stream.local_name() == "property") {
      if (!name.empty()) findings.add_property("custom:" + name, value);
      name.clear();
    }
  }
}

}  // namespace

void read_package_properties(const ZipMembers& zip, DocumentFindings& findings, Extraction& extraction) {
  if (const std::string* xml = zip.find("docProps/core.xml")) read_named_properties(*xml, findings, extraction);
  if (const std::string* xml = zip.find("docProps/app.xml")) read_named_properties(*xml, findings, extraction);
  if (const std::string* xml = zip.find("docProps/custom.xml")) read_custom_properties(*xml, findings, extraction);
}

}  // namespace privmilter::content
