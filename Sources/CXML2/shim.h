#ifndef PAIRDX_CXML2_SHIM_H
#define PAIRDX_CXML2_SHIM_H
/* libxml2's ICU types clash with Foundation's ("'UErrorCode' has different definitions"):
   read the version header, drop the ICU switch, then include the parser headers. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/SAX2.h>
/* xmlFree is a global function pointer (mutable state to Swift 6): call it from C. */
static inline void _pdx_xml_free(void *p) { xmlFree(p); }
#endif
