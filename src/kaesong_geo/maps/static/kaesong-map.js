/*
 * kaesong-geo map controls (part of kaesong-geo, MIT licence).
 *
 * KaesongMap.init(map, config, baseLayers) builds, on a Leaflet map made by Folium:
 *   - one footprint layer per epoch (older drawn under newer), with tooltip and popup;
 *   - one layer per interval with the added patches coloured by growth type;
 *   - image overlays, several per epoch (config.imagery, in drawing order: later on top),
 *     each named "Imagery <epoch> (<image>)" in the layer control, with its date, provider
 *     and note in the legend and its attribution; one opacity slider for all of them;
 *   - a layer control, a legend and a provenance note (layers and legend collapse to buttons
 *     on small screens);
 *   - a time control that steps through the epochs, or shows them all: each stop shows the
 *     footprints of its epochs and the images of those epochs only;
 *   - a swipe control comparing any two epochs, footprints and imagery alike (panes clipped
 *     with CSS, which works for vector layers and image overlays, not only tiles);
 *   - a watch on the basemap: when its first tiles fail to load (offline, blocked, server
 *     down) it switches to the blank basemap, stops requesting tiles and says so in the page.
 * With several sites (config.sites), each site's layers form one group in the layer control,
 * named after the site, and the time control steps through the dates of all sites: at each
 * date every site shows its latest epoch as of that date.
 * Geometries arrive once each in a compact shape table (config.shapes, see decodeShapes);
 * each epoch's and interval's features name the shapes they draw.
 * The view is fitted to the footprints in the part of the map no control covers (with the
 * site markers and their labels, when sites are drawn as markers), and popups are sized and
 * panned to fit there too.
 * Text from the data is always inserted with textContent, never parsed as HTML.
 * The state is exposed as map.kaesong and KaesongMap.instances for tests and scripting.
 */
(function (global) {
  'use strict';

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function escapeHtml(text) {
    // Only for Leaflet's layer control, which inserts layer names as HTML.
    return String(text).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  function rowsTable(rows) {
    var table = el('table', 'ks-rows');
    rows.forEach(function (row) {
      var tr = el('tr');
      tr.appendChild(el('th', null, row[0]));
      tr.appendChild(el('td', null, row[1]));
      table.appendChild(tr);
    });
    return table;
  }

  // The shape table (build.encode_shapes): integer coordinate deltas in 1e-6 degree without
  // the closing vertex of each ring; vertices per ring, rings per polygon, polygons per shape.
  // Returns each shape as the coordinates of a GeoJSON MultiPolygon.
  function decodeShapes(table) {
    var c = table.coords, x = 0, y = 0, points = new Array(c.length / 2);
    for (var i = 0; i < c.length; i += 2) {
      x += c[i]; y += c[i + 1];
      points[i / 2] = [x / 1e6, y / 1e6];
    }
    var v = 0, r = 0, p = 0, out = [];
    table.shapes.forEach(function (nPolygons) {
      var polys = [];
      for (var k = 0; k < nPolygons; k++, p++) {
        var poly = [];
        for (var j = 0; j < table.polygons[p]; j++, r++) {
          var ring = points.slice(v, v + table.rings[r]);
          v += table.rings[r];
          ring.push(ring[0]);
          poly.push(ring);
        }
        if (poly.length) { polys.push(poly); }
      }
      out.push(polys);
    });
    return out;
  }

  // A GeoJSON FeatureCollection of features that name their shapes as runs
  // ([start, count, start, count, ...], build.shape_runs).
  function collection(features, shapes) {
    return {type: 'FeatureCollection', features: features.map(function (f) {
      var coords = [], n = 0;
      for (var k = 0; k < f.shapes.length; k += 2) {
        for (var s = f.shapes[k]; s < f.shapes[k] + f.shapes[k + 1]; s++) {
          for (var q = 0; q < shapes[s].length; q++) { coords.push(shapes[s][q]); }
          n += 1;
        }
      }
      var props = {};
      Object.keys(f).forEach(function (key) { if (key !== 'shapes') { props[key] = f[key]; } });
      props.nShapes = n;
      return {type: 'Feature', properties: props,
              geometry: {type: 'MultiPolygon', coordinates: coords}};
    })};
  }

  function panel(className) {
    var div = el('div', 'ks-panel ' + className);
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }

  function control(position, build) {
    var Ctl = L.Control.extend({ onAdd: build });
    return new Ctl({position: position});
  }

  function footprintLayer(epoch, pane, popupOptions) {
    return L.geoJSON(epoch.geojson, {
      pane: pane,
      style: function (feature) {
        // Shapes drawn as one path may overlap: fill them once (rings are oriented).
        return {color: epoch.color, weight: 3, fillColor: epoch.color, fillOpacity: 0.22,
                dashArray: epoch.estimated ? '6 4' : null,
                fillRule: feature.properties.nShapes > 1 ? 'nonzero' : 'evenodd',
                className: 'ks-footprint ks-epoch-' + epoch.label.replace(/\s+/g, '-') +
                  ' ks-site-' + (epoch.site || 0)};
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        var tip = el('div', 'ks-tip');
        tip.appendChild(el('strong', null, 'Epoch ' + epoch.label + (p.name ? ': ' + p.name : '')));
        tip.appendChild(el('div', null, p.headline));
        layer.bindTooltip(tip, {sticky: true});
        var pop = el('div', 'ks-popup');
        pop.appendChild(el('h4', null, 'Epoch ' + epoch.label));
        pop.appendChild(rowsTable(epoch.rows));
        pop.appendChild(el('h5', null, 'This polygon' + (p.name ? ': ' + p.name : '')));
        pop.appendChild(rowsTable(p.rows));
        layer.bindPopup(pop, popupOptions());
      }
    });
  }

  function addedLayer(interval, colors) {
    return L.geoJSON(interval.geojson, {
      style: function (feature) {
        var c = colors[feature.properties.type];
        return {color: c, weight: 1, fillColor: c, fillOpacity: 0.55,
                fillRule: feature.properties.nShapes > 1 ? 'nonzero' : 'evenodd',
                className: 'ks-added ks-added-' + feature.properties.type};
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        var tip = el('div');
        tip.appendChild(el('strong', null, 'Added ' + interval.label));
        tip.appendChild(el('div', null, p.type + ', ' + p.area + ', LEI ' + p.lei));
        layer.bindTooltip(tip, {sticky: true});
      }
    });
  }

  // An image of config.imagery; its <img> says which epoch and image it is (data-epoch,
  // data-image). The attribution is inserted as HTML by Leaflet, so it is escaped.
  function imageLayer(image, pane, opacity) {
    var layer = L.imageOverlay(image.url, image.bounds, {
      pane: pane, opacity: opacity, className: 'ks-image ks-image-' + image.epoch,
      attribution: image.attribution ? escapeHtml(image.attribution) : null});
    layer.on('add', function () {
      var img = layer.getElement();
      img.setAttribute('data-epoch', image.epoch);
      img.setAttribute('data-image', image.image || '');
      img.setAttribute('alt', image.name);
    });
    return layer;
  }

  var instances = [];

  // A basemap whose first TILE_ERROR_LIMIT tiles (or all the tiles of its view) fail is given
  // up for the blank one.
  var TILE_ERROR_LIMIT = 3;
  var TILES_FAILED = 'Basemap tiles could not be loaded (offline?); showing the blank basemap.';
  // Below this width or height (CSS pixels) the layer control and the legend start collapsed.
  var COMPACT_WIDTH = 640;
  var COMPACT_HEIGHT = 480;
  var MARGIN = 10;
  // The least height (CSS pixels) of the layer control's scrolling list and of the legend's body.
  var LIST_MIN = 48;
  var LEGEND_MIN = 80;
  // With several sites, a site drawn smaller than this (CSS pixels) gets a labelled marker.
  var SITE_MARKER_PX = 40;

  function boxesIntersect(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function showLabel(m, show) {
    var tip = m.marker.getTooltip();
    var node = tip && tip.getElement();
    if (!node) { return; }
    node.classList.toggle('ks-label-hidden', !show);
    if (show) { tip.update(); }
  }

  function sameView(a, b) {
    return !!a && !!b && a.zoom === b.zoom && a.center.distanceTo(b.center) < 0.01;
  }

  function init(map, config, baseLayers) {
    var state = {map: map, config: config, footprints: {}, added: [], images: [],
                 opacity: 0.85, current: null, swipe: null, popups: [], note: null,
                 compact: null, tiles: {requested: 0, loaded: 0, failed: 0}, basemapReason: null};
    map.kaesong = state;
    instances.push(state);

    var shapes = decodeShapes(config.shapes);
    config.epochs.forEach(function (e) { e.geojson = collection(e.features, shapes); });
    config.intervals.forEach(function (i) { i.geojson = collection(i.features, shapes); });
    shapes = null;
    // Several sites: one layer group per site; an epoch layer is shown when it is in its
    // site's group (and the group on the map). One site: the epoch layers sit on the map.
    var sites = config.sites && config.sites.length ? config.sites : [{name: ''}];
    var several = sites.length > 1;
    state.groups = sites.map(function () { return several ? L.layerGroup() : map; });
    state.holders = {};
    function holder(epoch) { return state.groups[epoch.site || 0]; }

    // Base layers: the Folium tile layers plus a blank one. The basemap is held back until the
    // view is fitted, so no tiles are fetched for Folium's provisional view.
    var bases = {};
    var blank = L.layerGroup();
    var startBase = null;
    baseLayers.forEach(function (b) {
      bases[escapeHtml(b.name)] = b.layer;
      if (map.hasLayer(b.layer)) {
        if (!startBase) { startBase = b.layer; }
        map.removeLayer(b.layer);
      }
    });
    bases['Blank (offline)'] = blank;
    state.blank = blank;

    // Watch what the tiles actually do; navigator.onLine is only a hint (browsers may report
    // true with no network at all).
    baseLayers.forEach(function (b) {
      var count = {loaded: 0, failed: 0};
      b.layer.on('add', function () { count.loaded = 0; count.failed = 0; });
      b.layer.on('tileloadstart', function () { state.tiles.requested += 1; });
      b.layer.on('tileload', function () {
        count.loaded += 1; state.tiles.loaded += 1;
        if (state.basemapReason) { state.hideNote(); }
      });
      b.layer.on('tileerror', function () {
        count.failed += 1; state.tiles.failed += 1;
        if (count.loaded === 0 && count.failed >= TILE_ERROR_LIMIT && map.hasLayer(b.layer)) {
          state.useBlank(TILES_FAILED);
        }
      });
      // A view of fewer than TILE_ERROR_LIMIT tiles (a narrow map of the world) that all
      // failed gives up too (once Leaflet is done with the event).
      b.layer.on('load', function () {
        if (count.loaded > 0 || count.failed === 0) { return; }
        setTimeout(function () {
          if (count.loaded === 0 && map.hasLayer(b.layer)) { state.useBlank(TILES_FAILED); }
        }, 0);
      });
    });
    state.useBlank = function (reason) {
      baseLayers.forEach(function (b) {
        if (map.hasLayer(b.layer)) { map.removeLayer(b.layer); }  // aborts its pending tiles
      });
      if (!map.hasLayer(blank)) { blank.addTo(map); }
      state.basemapReason = reason;
      state.showNote(reason);
    };

    // A dismissable note about the basemap.
    state.showNote = function (text) {
      if (state.note) { state.note.text.textContent = text; return; }
      var note = {text: el('span', 'ks-note-text', text)};
      note.control = control('bottomleft', function () {
        var div = panel('ks-note');
        div.setAttribute('role', 'status');
        var close = el('button', 'ks-note-close', '\u00d7');
        close.type = 'button';
        close.title = 'Dismiss';
        close.setAttribute('aria-label', 'Dismiss this note');
        close.addEventListener('click', function () { state.hideNote(); });
        div.appendChild(close); div.appendChild(note.text);
        return div;
      });
      state.note = note;
      var untouched = sameView(state.view(), state.home);
      note.control.addTo(map);
      state.layout();
      if (untouched) { state.fitView(); }  // keep the footprints clear of the note
    };
    state.hideNote = function () {
      if (!state.note) { return; }
      map.removeControl(state.note.control);
      state.note = null;
      state.layout();
    };

    var overlays = {};
    if (several) {
      // Sites far apart are dots when the view holds them all: each gets a labelled marker,
      // shown while the site is under SITE_MARKER_PX pixels across; a click zooms to the site.
      state.siteMarkers = [];
      sites.forEach(function (site, k) {
        overlays[escapeHtml(site.name)] = state.groups[k];
        state.groups[k].addTo(map);
        if (!site.bounds) { return; }
        var bounds = L.latLngBounds(site.bounds);
        var marker = L.circleMarker(bounds.getCenter(), {radius: 7, weight: 2, color: '#222',
                                                         fillColor: '#fff', fillOpacity: 0.9,
                                                         className: 'ks-site-marker'});
        // The label is the short name; the full name shows on hover (an SVG title).
        marker.bindTooltip(el('span', 'ks-site-name', site.short || site.name),
                           {permanent: true, direction: 'right', offset: [8, 0]});
        marker.on('add', function () {
          var path = marker.getElement();
          if (path && !path.querySelector('title')) {
            var title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
            title.textContent = site.name;
            path.appendChild(title);
          }
        });
        var entry = {marker: marker, bounds: bounds, group: state.groups[k], hidden: false};
        // A label hidden to avoid a collision shows while the pointer is on its marker.
        marker.on('mouseover', function () { showLabel(entry, true); });
        marker.on('mouseout', function () { showLabel(entry, !entry.hidden); });
        marker.on('click', function () {
          var free = state.freePadding(bounds);
          map.fitBounds(bounds, {paddingTopLeft: free.paddingTopLeft,
                                 paddingBottomRight: free.paddingBottomRight});
        });
        state.siteMarkers.push(entry);
      });
      state.syncSiteMarkers = function () {
        state.siteMarkers.forEach(function (m) {
          var nw = map.project(m.bounds.getNorthWest()), se = map.project(m.bounds.getSouthEast());
          var small = Math.max(se.x - nw.x, se.y - nw.y) < SITE_MARKER_PX;
          if (small && !m.group.hasLayer(m.marker)) { m.group.addLayer(m.marker); }
          if (!small && m.group.hasLayer(m.marker)) { m.group.removeLayer(m.marker); }
        });
        state.declutterLabels();
      };
      // Labels never overlap: in the sites' order, a label goes right of its marker, or left
      // where the right would cover an earlier label or any marker, or else is hidden (its
      // marker stays, with the name on hover).
      state.declutterLabels = function () {
        var shown = state.siteMarkers.filter(function (m) { return map.hasLayer(m.marker); });
        var taken = shown.map(function (m) { return m.marker.getElement().getBoundingClientRect(); });
        shown.forEach(function (m) {
          var tip = m.marker.getTooltip();
          m.hidden = true;
          [['right', 8], ['left', -8]].some(function (side) {
            L.setOptions(tip, {direction: side[0], offset: [side[1], 0]});
            showLabel(m, true);
            var node = tip.getElement();
            if (!node) { return false; }
            var r = node.getBoundingClientRect();
            if (taken.some(function (t) { return boxesIntersect(r, t); })) { return false; }
            taken.push(r);
            m.hidden = false;
            return true;
          });
          if (m.hidden) {
            L.setOptions(tip, {direction: 'right', offset: [8, 0]});
            showLabel(m, false);
          }
        });
      };
      map.on('zoomend', state.syncSiteMarkers);
    }
    // Images lie in their own pane, under the footprints whatever order layers come back in.
    makePane('ksImagery', 350);
    config.imagery.forEach(function (image) {
      var layer = imageLayer(image, 'ksImagery', state.opacity);
      state.images.push(layer);
      // Its entry in the layer control shows the date, provider and note on hover.
      var entry = escapeHtml(image.name || 'Imagery ' + image.epoch);
      if (image.details) {
        entry = '<span class="ks-layer-image" title="' + escapeHtml(image.details) + '">' + entry + '</span>';
      }
      overlays[entry] = layer;
      layer.addTo(map);
    });
    function popupOptions() { return state.popupOptions ? state.popupOptions() : {maxWidth: 380}; }
    config.epochs.forEach(function (epoch) {
      var layer = footprintLayer(epoch, 'overlayPane', popupOptions);
      state.footprints[epoch.label] = layer;
      state.holders[epoch.label] = holder(epoch);
      if (!several) {
        overlays['Footprint ' + escapeHtml(epoch.label) + (epoch.estimated ? ' (estimated)' : '')] = layer;
      }
      layer.eachLayer(function (l) { if (l.getPopup()) { state.popups.push(l.getPopup()); } });
      holder(epoch).addLayer(layer);
    });
    config.intervals.forEach(function (interval) {
      var layer = addedLayer(interval, config.growthColors);
      state.added.push(layer);
      overlays['Added ' + escapeHtml(interval.label)] = layer;
    });
    state.makeLayerControl = function (collapsed) {
      var old = state.layerControl;
      if (old) { map.removeControl(old); }
      state.layerControl = L.control.layers(bases, overlays, {collapsed: collapsed, position: 'topright'});
      var ctl = state.layerControl;
      ['expand', 'collapse'].forEach(function (name) {
        var method = ctl[name];
        ctl[name] = function () {
          method.call(ctl);
          if (state.legendBody && !state.laying && ctl.getContainer().parentNode) { state.layout(); }
          return ctl;
        };
      });
      state.layerControl.addTo(map);
      var node = state.layerControl.getContainer();
      node.parentNode.insertBefore(node, node.parentNode.firstChild);  // always first in its corner
    };

    state.restack = function () {
      config.epochs.forEach(function (epoch) {
        var layer = state.footprints[epoch.label];
        if (map.hasLayer(layer)) { layer.bringToFront(); }
      });
    };

    // Time control: show the footprint as of one date, or all epochs (the last stop). The
    // stops are the dates of the epochs of all sites; at each, every site shows its latest
    // epoch as of that date (with one site: one epoch per stop).
    var dates = [];
    config.epochs.forEach(function (e) { if (dates.indexOf(e.date) < 0) { dates.push(e.date); } });
    dates.sort();
    state.stops = dates.map(function (date) {
      var latest = {};
      config.epochs.forEach(function (e, i) {
        var k = e.site || 0;
        if (e.date <= date && (latest[k] === undefined || config.epochs[latest[k]].date <= e.date)) {
          latest[k] = i;
        }
      });
      return {date: date, epochs: Object.keys(latest).map(function (k) { return latest[k]; })
        .sort(function (a, b) { return a - b; })};
    });
    var ALL = state.stops.length;
    function isShown(epoch) { return state.holders[epoch.label].hasLayer(state.footprints[epoch.label]); }
    state.syncTime = function () {
      if (!state.timeLabel) { return; }
      var shown = [];
      config.epochs.forEach(function (epoch, i) { if (isShown(epoch)) { shown.push(i); } });
      var key = shown.join(',');
      var stop = -1;
      state.stops.forEach(function (s, j) { if (s.epochs.join(',') === key) { stop = j; } });
      var text;
      if (state.swiping) {
        text = 'swipe: ' + state.swiping[0] + ' | ' + state.swiping[1];
      } else if (shown.length === config.epochs.length) {
        state.timeRange.value = ALL;
        text = 'all epochs';
      } else if (stop >= 0 && !several) {
        var e = config.epochs[shown[0]];
        state.timeRange.value = stop;
        text = e.label + ': ' + e.headline;
      } else if (stop >= 0) {
        state.timeRange.value = stop;
        text = 'as of ' + state.stops[stop].date + ': ' +
          shown.map(function (i) { return config.epochs[i].label; }).join(', ');
      } else {
        text = shown.length + ' of ' + config.epochs.length + ' epochs';
      }
      state.timeLabel.textContent = text;
    };
    state.showEpoch = function (index) {
      state.stopSwipe();  // the time control acts on the ordinary layers
      state.current = index === ALL ? null : index;
      config.epochs.forEach(function (epoch, i) {
        var layer = state.footprints[epoch.label];
        var group = state.holders[epoch.label];
        var show = state.current === null || state.stops[state.current].epochs.indexOf(i) >= 0;
        if (show && !group.hasLayer(layer)) { group.addLayer(layer); }
        if (!show && group.hasLayer(layer)) { group.removeLayer(layer); }
      });
      state.syncImages();
      state.restack();
      state.syncTime();
    };
    // The images of the epochs the time control shows (all of them at the last stop), of
    // the sites whose group is on the map; an image of no epoch shows only at the last stop.
    var epochIndex = {};
    config.epochs.forEach(function (e, i) { epochIndex[e.label] = i; });
    state.imageShown = function (image) {
      if (several && !map.hasLayer(state.groups[image.site || 0])) { return false; }
      if (state.current === null) { return true; }
      return state.stops[state.current].epochs.indexOf(epochIndex[image.epoch]) >= 0;
    };
    state.syncImages = function () {
      if (state.swipe) { return; }  // the swipe shows its own images
      config.imagery.forEach(function (image, i) {
        var layer = state.images[i];
        var show = state.imageShown(image);
        if (show && !map.hasLayer(layer)) { layer.addTo(map); }
        if (!show && map.hasLayer(layer)) { map.removeLayer(layer); }
      });
      // Re-added images go to the top of the pane: put them back in drawing order.
      state.images.forEach(function (layer) { if (map.hasLayer(layer)) { layer.bringToFront(); } });
    };
    if (several) {
      // A site's images go with its group. Once the layer control is done with the click:
      // it re-adds every layer whose box is ticked, the site's images among them.
      state.groups.forEach(function (group) {
        group.on('add remove', function () { setTimeout(state.syncImages, 0); });
      });
    }
    control('bottomleft', function () {
      var div = panel('ks-time');
      div.appendChild(el('h4', null, 'Time'));
      var range = el('input');
      range.type = 'range'; range.min = 0; range.max = ALL; range.step = 1;
      range.value = ALL;
      range.className = 'ks-time-range';
      range.setAttribute('aria-label', several ? 'date (rightmost: all epochs)' : 'epoch (rightmost: all epochs)');
      range.title = several ? 'Slide to a date: each site as of that date; rightmost shows all epochs'
                            : 'Slide to one epoch; rightmost shows all epochs';
      var play = el('button', 'ks-time-play', 'Play');
      var all = el('button', 'ks-time-all', 'All');
      state.timeRange = range;
      state.timeLabel = el('div', 'ks-time-label', 'all epochs');
      var timer = null;
      range.addEventListener('input', function () { state.showEpoch(parseInt(range.value, 10)); });
      all.addEventListener('click', function () { state.showEpoch(ALL); });
      play.addEventListener('click', function () {
        if (timer) { clearInterval(timer); timer = null; play.textContent = 'Play'; return; }
        play.textContent = 'Stop';
        var i = -1;
        timer = setInterval(function () {
          i += 1;
          if (i >= ALL) { clearInterval(timer); timer = null; play.textContent = 'Play'; return; }
          state.showEpoch(i);
        }, 1200);
      });
      div.appendChild(range); div.appendChild(play); div.appendChild(all); div.appendChild(state.timeLabel);
      return div;
    }).addTo(map);
    map.on('overlayadd overlayremove', function () { state.syncTime(); });

    // Imagery opacity.
    if (config.imagery.length) {
      control('topright', function () {
        var div = panel('ks-opacity');
        var label = el('label', null, 'Imagery opacity ');
        var range = el('input');
        range.type = 'range'; range.min = 0; range.max = 100; range.value = Math.round(state.opacity * 100);
        range.className = 'ks-opacity-range';
        range.addEventListener('input', function () {
          state.opacity = range.value / 100;
          state.images.forEach(function (l) { l.setOpacity(state.opacity); });
          if (state.swipe) { state.swipe.images.forEach(function (l) { l.setOpacity(state.opacity); }); }
        });
        label.appendChild(range);
        div.appendChild(label);
        return div;
      }).addTo(map);
    }

    // Swipe comparison of two epochs.
    function makePane(name, z) {
      var pane = map.getPane(name) || map.createPane(name);
      pane.style.zIndex = z;
      return pane;
    }
    state.setSwipe = function (fraction) {
      if (!state.swipe) { return; }
      state.swipe.fraction = Math.max(0, Math.min(1, fraction));
      state.swipe.range.value = Math.round(state.swipe.fraction * 1000);
      state.updateSwipe();
    };
    state.updateSwipe = function () {
      var s = state.swipe;
      if (!s) { return; }
      var size = map.getSize();
      var x = s.fraction * size.x;
      var nw = map.containerPointToLayerPoint([0, 0]);
      var se = map.containerPointToLayerPoint(size);
      var clipX = nw.x + x;
      s.left.style.clip = 'rect(' + [nw.y, clipX, se.y, nw.x].join('px, ') + 'px)';
      s.right.style.clip = 'rect(' + [nw.y, se.x, se.y, clipX].join('px, ') + 'px)';
      s.divider.style.left = x + 'px';
      s.leftCaption.style.right = (size.x - x + 8) + 'px';
      s.rightCaption.style.left = (x + 8) + 'px';
    };
    // Pan so that the divider, in the middle, cuts through the smaller of the two footprints:
    // each side then shows its own epoch.
    function centreSwipe(leftLayer, rightLayer) {
      var lb = leftLayer.getBounds(), rb = rightLayer.getBounds();
      if (!lb.isValid() || !rb.isValid()) { return; }
      function width(b) { return b.getEast() - b.getWest(); }
      var lng = (width(lb) <= width(rb) ? lb : rb).getCenter().lng;
      if (!(lb.getWest() < lng && rb.getEast() > lng)) { lng = (lb.getWest() + rb.getEast()) / 2; }
      var x = map.latLngToContainerPoint([map.getCenter().lat, lng]).x;
      var dx = Math.round(x - map.getSize().x / 2);
      if (dx) { map.panBy([dx, 0], {animate: false}); }
    }
    state.startSwipe = function (leftLabel, rightLabel) {
      state.stopSwipe();
      state.swiping = [leftLabel, rightLabel];
      var byLabel = {};
      config.epochs.forEach(function (e) { byLabel[e.label] = e; });
      var container = map.getContainer();
      var s = {leftLabel: leftLabel, rightLabel: rightLabel, fraction: 0.5, layers: [], images: [],
               hidden: [], left: makePane('ksLeft', 450), right: makePane('ksRight', 451)};
      Object.keys(state.footprints).forEach(function (k) {
        var group = state.holders[k];
        if (group.hasLayer(state.footprints[k])) {
          s.hidden.push([group, state.footprints[k]]); group.removeLayer(state.footprints[k]);
        }
      });
      state.images.forEach(function (l) {
        if (map.hasLayer(l)) { s.hidden.push([map, l]); map.removeLayer(l); }
      });
      [['ksLeft', leftLabel], ['ksRight', rightLabel]].forEach(function (side) {
        var epoch = byLabel[side[1]];
        config.imagery.forEach(function (image) {
          if (image.epoch === side[1]) {
            var img = imageLayer(image, side[0], state.opacity).addTo(map);
            s.images.push(img);
          }
        });
        s.layers.push(footprintLayer(epoch, side[0], popupOptions).addTo(map));
      });
      s.range = el('input', 'ks-swipe-range');
      s.range.type = 'range'; s.range.min = 0; s.range.max = 1000; s.range.value = 500;
      s.range.setAttribute('aria-label', 'swipe position');
      ['mousedown', 'touchstart', 'pointerdown', 'dblclick', 'click'].forEach(function (ev) {
        L.DomEvent.on(s.range, ev, L.DomEvent.stopPropagation);
      });
      s.range.addEventListener('input', function () { s.fraction = s.range.value / 1000; state.updateSwipe(); });
      s.divider = el('div', 'ks-swipe-divider');
      s.leftCaption = el('div', 'ks-swipe-caption', leftLabel);
      s.rightCaption = el('div', 'ks-swipe-caption', rightLabel);
      [s.divider, s.leftCaption, s.rightCaption, s.range].forEach(function (n) { container.appendChild(n); });
      state.swipe = s;
      // A site drawn as a dot (several sites in view), or out of view, is zoomed to first.
      var site = sites[byLabel[leftLabel].site || 0];
      if (several && site.bounds) {
        var b = L.latLngBounds(site.bounds);
        var nw = map.project(b.getNorthWest()), se = map.project(b.getSouthEast());
        if (Math.max(se.x - nw.x, se.y - nw.y) < SITE_MARKER_PX || !map.getBounds().contains(b)) {
          var free = state.freePadding(b);
          map.fitBounds(b, {paddingTopLeft: free.paddingTopLeft,
                            paddingBottomRight: free.paddingBottomRight, animate: false});
        }
      }
      centreSwipe(s.layers[0], s.layers[1]);
      map.on('move zoom resize', state.updateSwipe);
      state.updateSwipe();
      state.syncTime();
    };
    state.stopSwipe = function () {
      var s = state.swipe;
      if (!s) { return; }
      state.swiping = null;
      map.off('move zoom resize', state.updateSwipe);
      s.layers.concat(s.images).forEach(function (l) { map.removeLayer(l); });
      [s.divider, s.leftCaption, s.rightCaption, s.range].forEach(function (n) { n.parentNode.removeChild(n); });
      s.left.style.clip = ''; s.right.style.clip = '';
      s.hidden.forEach(function (h) { h[0].addLayer(h[1]); });
      state.swipe = null;
      if (several) { state.syncImages(); }  // a site's group may have been turned off meanwhile
      if (state.swipeButton) { state.swipeButton.textContent = 'Swipe'; }
      state.restack();
      state.syncTime();
    };
    control('topleft', function () {
      var div = panel('ks-compare');
      div.appendChild(el('h4', null, 'Compare two epochs'));
      // Both boxes hold the epochs of one site (sites lie too far apart to swipe between
      // them usefully); with several sites, a first box picks the site. Default: the first
      // and the last epoch of the first site.
      function fill(select, site, selected) {
        while (select.firstChild) { select.removeChild(select.firstChild); }
        config.epochs.forEach(function (e) {
          if ((e.site || 0) !== site) { return; }
          var opt = el('option', null, e.label);
          opt.value = e.label;
          if (e.label === selected) { opt.selected = true; }
          select.appendChild(opt);
        });
      }
      function picker(name) {
        var select = el('select', 'ks-compare-' + name);
        select.setAttribute('aria-label', name + ' epoch');
        return select;
      }
      var left = picker('left');
      var right = picker('right');
      function pickSite(site) {
        var of = config.epochs.filter(function (e) { return (e.site || 0) === site; });
        fill(left, site, of[0].label);
        fill(right, site, of[of.length - 1].label);
      }
      var firstSite = config.epochs.length ? config.epochs[0].site || 0 : 0;
      pickSite(firstSite);
      if (several) {
        var sitePicker = el('select', 'ks-compare-site');
        sitePicker.setAttribute('aria-label', 'site to compare');
        sites.forEach(function (site, k) {
          if (!config.epochs.some(function (e) { return (e.site || 0) === k; })) { return; }
          var opt = el('option', null, site.name);
          opt.value = String(k);
          if (k === firstSite) { opt.selected = true; }
          sitePicker.appendChild(opt);
        });
        sitePicker.addEventListener('change', function () {
          pickSite(parseInt(sitePicker.value, 10));
          restart();
        });
        div.appendChild(sitePicker);
      }
      var toggle = el('button', 'ks-compare-toggle', 'Swipe');
      state.swipeButton = toggle;
      function restart() { if (state.swipe) { state.startSwipe(left.value, right.value); } }
      left.addEventListener('change', restart);
      right.addEventListener('change', restart);
      toggle.addEventListener('click', function () {
        if (state.swipe) { state.stopSwipe(); }
        else { state.startSwipe(left.value, right.value); toggle.textContent = 'End swipe'; }
      });
      // One select a line, so the panel is as wide as the longest label, not its max-width.
      var row = el('div', 'ks-compare-row');
      row.appendChild(right); row.appendChild(el('span', null, ' ')); row.appendChild(toggle);
      div.appendChild(left); div.appendChild(row);
      return div;
    }).addTo(map);

    // Legend (a button opens and closes it) and provenance note.
    control('bottomright', function () {
      var div = panel('ks-legend');
      var toggle = el('button', 'ks-legend-toggle', 'Legend');
      toggle.type = 'button';
      var body = el('div', 'ks-legend-body');
      body.id = 'ks-legend-body-' + instances.length;
      toggle.setAttribute('aria-controls', body.id);
      state.setLegend = function (open) {
        div.classList.toggle('ks-collapsed', !open);
        toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
        toggle.title = open ? 'Hide the legend' : 'Show the legend';
      };
      toggle.addEventListener('click', function () {
        state.legendWanted = div.classList.contains('ks-collapsed');
        state.legendChosen = true;
        state.layout();
      });
      state.legend = div; state.legendBody = body;
      body.appendChild(el('h4', null, 'Footprint by epoch'));
      config.epochs.forEach(function (e) {
        var row = el('div', 'ks-legend-row');
        var sw = el('span', 'ks-swatch');
        sw.style.background = e.color;
        row.appendChild(sw);
        row.appendChild(el('span', null, e.label + '  ' + e.headline));
        if (e.estimated) { row.appendChild(el('span', 'ks-flag', '  ESTIMATED')); }
        body.appendChild(row);
      });
      if (config.imagery.length) {
        body.appendChild(el('h4', null, 'Imagery'));
        config.imagery.forEach(function (image) {
          var row = el('div', 'ks-legend-row ks-legend-image');
          row.appendChild(el('strong', null, image.name));
          if (image.details) { row.appendChild(el('span', null, ': ' + image.details)); }
          body.appendChild(row);
        });
      }
      if (config.intervals.length) {
        body.appendChild(el('h4', null, 'Added area by growth type'));
        Object.keys(config.growthColors).forEach(function (type) {
          var row = el('div', 'ks-legend-row');
          var sw = el('span', 'ks-swatch');
          sw.style.background = config.growthColors[type];
          row.appendChild(sw);
          row.appendChild(el('span', null, type));
          body.appendChild(row);
        });
      }
      div.appendChild(toggle); div.appendChild(body);
      return div;
    }).addTo(map);
    control('bottomleft', function () {
      var div = panel('ks-notes');
      var details = el('details');
      details.appendChild(el('summary', null, config.provenanceTitle));
      var list = el('ol');
      config.notes.forEach(function (note) { list.appendChild(el('li', null, note)); });
      details.appendChild(list);
      details.addEventListener('toggle', function () { state.layout(); });
      div.appendChild(details);
      return div;
    }).addTo(map);

    // Layout. On a small map the layer control and the legend start collapsed.
    state.setCompact = function (compact) {
      if (compact === state.compact) { return; }
      state.compact = compact;
      map.getContainer().classList.toggle('ks-compact', compact);
      state.makeLayerControl(compact);
      if (!state.legendChosen) { state.legendWanted = !compact; }
    };

    // No control covers another. Where the bottom corners' controls would meet, the right
    // ones move up above the left ones (and the same for the top corners, the right ones
    // moving down); then the right column is fitted into the map's height: the layer
    // control's list scrolls within what is left, and the legend opens (scrolling too) only
    // where at least LEGEND_MIN pixels of it fit, unless the reader opened it.
    state.layout = function () {
      state.laying = true;
      try { layout(); } finally { state.laying = false; }
    };
    function layout() {
      var corners = map._controlCorners;
      var box = map.getContainer().getBoundingClientRect();
      var height = map.getSize().y;
      var section = state.layerControl.getContainer().querySelector('.leaflet-control-layers-list');
      corners.topright.style.top = ''; corners.bottomright.style.bottom = '';
      section.style.maxHeight = ''; state.legendBody.style.maxHeight = '';
      state.setLegend(state.legendWanted);
      function extent(corner) {
        var r = null;
        Array.prototype.forEach.call(corner.children, function (node) {
          var b = node.getBoundingClientRect();
          if (!b.width || !b.height) { return; }
          r = r ? {left: Math.min(r.left, b.left), right: Math.max(r.right, b.right),
                   top: Math.min(r.top, b.top), bottom: Math.max(r.bottom, b.bottom)}
                : {left: b.left, right: b.right, top: b.top, bottom: b.bottom};
        });
        return r;
      }
      function apart(a, b) { return !a || !b || a.right + MARGIN <= b.left; }
      if (!apart(extent(corners.bottomleft), extent(corners.bottomright))) {
        corners.bottomright.style.bottom = (box.bottom - extent(corners.bottomleft).top) + 'px';
      }
      if (!apart(extent(corners.topleft), extent(corners.topright))) {
        corners.topright.style.top = (extent(corners.topleft).bottom - box.top) + 'px';
      }
      // The least room between a top and a bottom corner's controls that share a column, one
      // of them on the right (negative: overlap).
      function gap() {
        var room = height;
        [['topright', 'bottomright'], ['topleft', 'bottomright'], ['topright', 'bottomleft']]
          .forEach(function (pair) {
            var top = extent(corners[pair[0]]), bottom = extent(corners[pair[1]]);
            if (top && bottom && top.left < bottom.right && bottom.left < top.right) {
              room = Math.min(room, bottom.top - top.bottom - MARGIN);
            }
          });
        return room;
      }
      function shrink(node, by, least) {
        var h = node.getBoundingClientRect().height;
        node.style.maxHeight = Math.max(least, Math.floor(h - by)) + 'px';
      }
      var open = state.legendWanted;
      state.setLegend(false);
      if (gap() < 0 && section.getBoundingClientRect().height) { shrink(section, -gap(), LIST_MIN); }
      if (open) {
        state.setLegend(true);
        if (gap() < 0) {
          var body = state.legendBody.getBoundingClientRect().height;
          if (body + gap() >= LEGEND_MIN || state.legendChosen) {
            shrink(state.legendBody, -gap(), LEGEND_MIN);
            if (gap() < 0 && section.getBoundingClientRect().height) { shrink(section, -gap(), LIST_MIN); }
          } else {
            state.setLegend(false);
          }
        }
      }
    }
    state.view = function () { return {center: map.getCenter(), zoom: map.getZoom()}; };

    // The part of the map no control covers: either the band between the left and right
    // columns of controls, or the band between the top and bottom rows, whichever shows the
    // footprints larger, narrowed on each side by `reach` (pixels, optional). Returned as
    // Leaflet padding.
    state.freePadding = function (bounds, reach) {
      var size = map.getSize();
      var box = map.getContainer().getBoundingClientRect();
      var cols = {left: MARGIN, right: MARGIN, top: MARGIN, bottom: MARGIN};
      var rows = {left: MARGIN, right: MARGIN, top: MARGIN, bottom: MARGIN};
      var corners = map._controlCorners;
      Object.keys(corners).forEach(function (name) {
        Array.prototype.forEach.call(corners[name].children, function (node) {
          var r = node.getBoundingClientRect();
          if (!r.width || !r.height) { return; }
          var left = r.left - box.left, top = r.top - box.top;
          if (name.indexOf('left') >= 0) { cols.left = Math.max(cols.left, left + r.width + MARGIN); }
          else { cols.right = Math.max(cols.right, size.x - left + MARGIN); }
          if (name.indexOf('top') >= 0) { rows.top = Math.max(rows.top, top + r.height + MARGIN); }
          else { rows.bottom = Math.max(rows.bottom, size.y - top + MARGIN); }
        });
      });
      if (reach) {
        [cols, rows].forEach(function (p) {
          Object.keys(p).forEach(function (side) { p[side] += reach[side]; });
        });
      }
      var px = {x: 1, y: 1};
      if (bounds && bounds.isValid()) {
        var nw = map.project(bounds.getNorthWest()), se = map.project(bounds.getSouthEast());
        px = {x: Math.max(1, se.x - nw.x), y: Math.max(1, se.y - nw.y)};
      }
      function scale(p) {
        var w = size.x - p.left - p.right, h = size.y - p.top - p.bottom;
        return w <= 0 || h <= 0 ? 0 : Math.min(w / px.x, h / px.y);
      }
      var p = scale(cols) >= scale(rows) ? cols : rows;
      return {paddingTopLeft: L.point(p.left, p.top), paddingBottomRight: L.point(p.right, p.bottom),
              width: Math.max(0, size.x - p.left - p.right), height: Math.max(0, size.y - p.top - p.bottom)};
    };
    state.footprintBounds = function () {
      var b = L.latLngBounds([]);
      Object.keys(state.footprints).forEach(function (k) { b.extend(state.footprints[k].getBounds()); });
      return b.isValid() ? b : (config.bounds ? L.latLngBounds(config.bounds) : b);
    };
    // How far the shown site markers and their labels reach beyond their points (pixels on
    // each side), or null when no site is drawn as a marker.
    state.markerReach = function () {
      var reach = null;
      var box = map.getContainer().getBoundingClientRect();
      (state.siteMarkers || []).forEach(function (m) {
        if (!map.hasLayer(m.marker)) { return; }
        var c = map.latLngToContainerPoint(m.marker.getLatLng());
        var tip = m.marker.getTooltip();
        [m.marker.getElement(), tip && tip.getElement()].forEach(function (node) {
          var r = node ? node.getBoundingClientRect() : null;
          if (!r || !r.width) { return; }
          reach = reach || {left: 0, right: 0, top: 0, bottom: 0};
          reach.left = Math.max(reach.left, c.x - (r.left - box.left));
          reach.right = Math.max(reach.right, r.right - box.left - c.x);
          reach.top = Math.max(reach.top, c.y - (r.top - box.top));
          reach.bottom = Math.max(reach.bottom, r.bottom - box.top - c.y);
        });
      });
      return reach;
    };
    // Fit the footprints into the free part of the map. Sites drawn as labelled markers need
    // a second pass: the padding then also holds each marker and its label clear of the
    // controls (a marker sits at its site's centre, inside the fitted bounds).
    state.fitView = function () {
      var bounds = state.footprintBounds();
      if (!bounds.isValid()) { return; }
      var reach = null;
      for (var pass = 0; pass < 2; pass += 1) {
        var free = state.freePadding(bounds, reach);
        // Controls covering the whole map leave no free part: fit the whole map instead.
        var room = free.width > 0 && free.height > 0;
        map.fitBounds(bounds, {paddingTopLeft: room ? free.paddingTopLeft : L.point(0, 0),
                               paddingBottomRight: room ? free.paddingBottomRight : L.point(0, 0),
                               animate: false});
        if (!state.syncSiteMarkers) { break; }
        state.syncSiteMarkers();
        reach = state.markerReach();
        if (!reach) { break; }
      }
      state.home = state.view();
      state.lastView = state.home;
    };

    // Popups fit the free part of the map: bounded size, scrolling inside, panned into it.
    state.popupOptions = function () {
      var free = state.freePadding(state.footprintBounds());
      return {maxWidth: Math.max(160, Math.min(380, free.width - 50)),
              minWidth: Math.min(240, Math.max(120, free.width - 50)),
              maxHeight: Math.max(120, Math.min(420, free.height - 60)),
              autoPan: true, autoPanPaddingTopLeft: free.paddingTopLeft,
              autoPanPaddingBottomRight: free.paddingBottomRight};
    };
    state.sizePopups = function () {
      var options = state.popupOptions();
      state.popups.forEach(function (p) { L.setOptions(p, options); });
    };
    // Closing a popup undoes the pan made to show it, unless the map was moved since.
    map.on('moveend', function () {
      if (state.popup) { state.popupPanned = state.view(); } else { state.lastView = state.view(); }
    });
    map.on('popupopen', function (e) {
      state.popup = e.popup; state.popupFrom = state.lastView; state.popupPanned = null;
    });
    map.on('popupclose', function () {
      state.popup = null;
      if (state.popupPanned && state.popupFrom && sameView(state.view(), state.popupPanned)) {
        map.setView(state.popupFrom.center, state.popupFrom.zoom, {animate: false});
      }
      state.popupPanned = null;
    });
    map.on('preclick', function () { state.sizePopups(); });  // before a click opens a popup
    map.on('resize', function () {
      var untouched = sameView(state.view(), state.home);
      var size = map.getSize();
      state.setCompact(size.x < COMPACT_WIDTH || size.y < COMPACT_HEIGHT);
      state.layout();
      state.sizePopups();
      if (untouched) { state.fitView(); }
    });

    var size = map.getSize();
    state.setCompact(size.x < COMPACT_WIDTH || size.y < COMPACT_HEIGHT);
    state.layout();
    state.restack();
    if (navigator.onLine === false) {
      state.useBlank('The browser is offline; showing the blank basemap.');
    }
    state.fitView();
    if (state.syncSiteMarkers) { state.syncSiteMarkers(); }
    state.sizePopups();
    if (!state.basemapReason) { (startBase || blank).addTo(map); }
    return state;
  }

  global.KaesongMap = {init: init, escapeHtml: escapeHtml, instances: instances};
}(window));
